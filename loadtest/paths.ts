import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Where the built files are, whether this module runs built (dist/loadtest/) or from source under
// vitest (loadtest/): the engine and the forked worker always run from dist/.

const here = dirname(fileURLToPath(import.meta.url));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const repoRoot = findRepoRoot(here);
export const builtEngineMain = resolve(repoRoot, 'dist', 'engine', 'main.js');
export const builtWorker = resolve(repoRoot, 'dist', 'loadtest', 'worker.js');
export const resultsMarkdown = resolve(repoRoot, 'loadtest', 'RESULTS.md');
