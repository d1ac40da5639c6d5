import { parseOptions, usage, UsageError } from './options.js';
import { runLoadTest } from './run.js';

// `npm run loadtest -- <scenario> [options]`. Exit code: 0 when the audit passes, 1 when it fails
// (or the run broke), 2 for a bad command line. Ctrl-C ends the sending early; the run is still
// audited and reported. A second Ctrl-C exits at once.

/** The command for the report, without the tokens' values. */
function redactTokens(argv: readonly string[]): string[] {
  return argv.map((arg, i) => (/^--\w+-token$/.test(argv[i - 1] ?? '') ? '***' : arg.replace(/^(--\w+-token=).*/, '$1***')));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options;
  try {
    options = parseOptions(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) console.error(`loadtest: ${error.message}\n`);
    console.error(usage);
    return error.message ? 2 : 0;
  }
  const abort = new AbortController();
  process.on('SIGINT', () => {
    if (abort.signal.aborted) process.exit(130);
    console.error('\nstopping: waiting for the requests in flight, then the audit (Ctrl-C again to quit now)');
    abort.abort();
  });
  try {
    const result = await runLoadTest(options, {
      command: `npm run loadtest -- ${redactTokens(argv).join(' ')}`,
      log: (line) => console.log(line),
      signal: abort.signal,
    });
    return result.audit.pass ? 0 : 1;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`loadtest: ${error.message}`);
    return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
