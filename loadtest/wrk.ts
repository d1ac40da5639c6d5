// What `npm run bench` and `npm run bench:cluster` share about wrk: the Lua lines that make it
// print one machine-readable line at the end, and the reading of that line.

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with a status of 300 or more. */
  non2xx: number;
}

/** Lua for the end of a wrk script: one line `RESULT <req/s> <p50 ms> <p99 ms> <non-2xx>`. */
export const wrkResultLua: readonly string[] = Object.freeze([
  'done = function(summary, latency)',
  '  io.write(string.format("RESULT %f %f %f %d\\n", summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))',
  'end',
]);

/** The RESULT line of wrk's output; throws with the output when there is none. */
export function parseWrkResult(out: string): WrkResult {
  const line = out.split('\n').find((l) => l.startsWith('RESULT'));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const [, rps, p50, p99, non2xx] = line.split(' ');
  return { requestsPerSecond: Number(rps), p50Ms: Number(p50), p99Ms: Number(p99), non2xx: Number(non2xx) };
}
