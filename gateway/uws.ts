import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import uWS from 'uWebSockets.js';

// The uWebSockets.js fork falls back, silently but for a console line, to a slow JS
// implementation when its native binary does not load. Detect that, so the engine can say so.

export { uWS };

export function uwsIsNative(): boolean {
  const require = createRequire(import.meta.url);
  try {
    const packageDir = dirname(require.resolve('uWebSockets.js/package.json'));
    require(join(packageDir, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`));
    return true;
  } catch {
    return false;
  }
}
