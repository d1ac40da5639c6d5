// Shows the command as a user runs it (the built CLI in a child process): a bad command line
// exits 2 with the usage; a tiny flash sale against an engine the tool starts itself (temp data
// dir, free port) exits 0 with the headline and the audit on stdout, no progress bar (stdout is
// not a terminal), the three report files in --out, and the engine stopped afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../test/support/fixtures.js';

const cli = join(repoRoot, 'dist', 'loadtest', 'cli.js');
const out = tempDir('oo-cli-out-');
afterAll(() => out.remove());

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, cwd: out.path });

describe('npm run loadtest', () => {
  it('a bad command line exits 2 with the usage', () => {
    for (const args of [[], ['warp-speed'], ['steady', '--rate', 'fast']]) {
      const result = run(args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('Usage: npm run loadtest -- <scenario> [options]');
    }
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stderr).toContain('flash-sale');
  });

  it('runs a tiny flash sale on an engine it starts, audits it, reports it, and exits 0', async () => {
    const result = run(['flash-sale', '--rate', '40', '--duration', '1', '--burst', '10', '--buyers', '30', '--stock', '20', '--out', 'run']);
    expect(result.status, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain('latency from intended send');
    expect(result.stdout).toContain('audit: PASS');
    expect(result.stdout).not.toContain('░');
    for (const file of ['report.json', 'report.md', 'report.html']) expect(existsSync(join(out.path, 'run', file))).toBe(true);
    // The engine it started is gone.
    const url = /engine started at (http:\/\/127\.0\.0\.1:\d+)/.exec(result.stdout)?.[1];
    expect(url).toBeDefined();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
