import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { LoadResults, TimelineEntry } from './aggregate.js';
import type { AuditResult } from './audit.js';
import type { LatencySummary } from './histogram.js';
import type { EngineSample } from './monitor.js';
import type { RunOptions } from './options.js';
import { renderHtml } from './report-html.js';

// The report of one run: report.json (every number), report.md (the headline table, outcomes,
// operations, the audit) and report.html (the same with latency-over-time and throughput charts,
// self-contained), in the run's results folder. The headline also goes to stdout.

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverage1m: number;
}

export interface Report {
  scenario: string;
  runId: string;
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  target: { url: string; startedByTool: boolean };
  /** The options as run (tokens left out). */
  options: Omit<RunOptions, 'opsToken' | 'checkoutToken' | 'viewerToken'>;
  plan: { mode: 'open' | 'closed'; rate: number; rampSeconds: number; durationSeconds: number; burst: number; arrivals: number; concurrency: number; workers: number; inFlightMax: number };
  catalogue: { skus: number; nodes: number; firstSku: string; maxPerCustomer: number | undefined; holdTtlSeconds: number };
  results: LoadResults;
  ledger: Record<string, number>;
  engine: { samples: EngineSample[]; rssMbFirst?: number; rssMbMax?: number; rssMbLast?: number; heapMbFirst?: number; heapMbMax?: number; heapMbLast?: number; eventLoopLagMsMax?: number } | undefined;
  timeline: TimelineEntry[];
  audit: AuditResult;
}

export function machineNow(): Machine {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

export function withoutTokens(options: RunOptions): Report['options'] {
  const { opsToken: _ops, checkoutToken: _checkout, viewerToken: _viewer, ...rest } = options;
  return rest;
}

export function engineSummary(samples: EngineSample[]): Report['engine'] {
  if (samples.length === 0) return undefined;
  const rss = samples.map((s) => s.rssMb).filter((v): v is number => v !== undefined);
  const heap = samples.map((s) => s.heapMb).filter((v): v is number => v !== undefined);
  const lag = samples.map((s) => s.eventLoopLagMs).filter((v): v is number => v !== undefined);
  return {
    samples,
    ...(rss.length > 0 ? { rssMbFirst: rss[0], rssMbMax: Math.max(...rss), rssMbLast: rss[rss.length - 1] } : {}),
    ...(heap.length > 0 ? { heapMbFirst: heap[0], heapMbMax: Math.max(...heap), heapMbLast: heap[heap.length - 1] } : {}),
    ...(lag.length > 0 ? { eventLoopLagMsMax: Math.max(...lag) } : {}),
  };
}

/** Adds the engine's samples to the timeline seconds they were taken in. */
export function withEngineSamples(timeline: TimelineEntry[], samples: readonly EngineSample[]): TimelineEntry[] {
  const bySecond = new Map(samples.map((s) => [s.second, s]));
  return timeline.map((entry) => {
    const s = bySecond.get(entry.second);
    if (!s) return entry;
    return {
      ...entry,
      ...(s.rssMb !== undefined ? { engineRssMb: s.rssMb } : {}),
      ...(s.eventLoopLagMs !== undefined ? { engineEventLoopLagMs: s.eventLoopLagMs } : {}),
      ...(s.liveOrders !== undefined ? { engineLiveOrders: s.liveOrders } : {}),
    };
  });
}

const n = (value: number): string => value.toLocaleString('en-US');
const msList = (l: LatencySummary, keys: Array<keyof LatencySummary> = ['p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs']): string => keys.map((k) => l[k].toFixed(2)).join(' / ');

export function describePlan(report: Report): string {
  const p = report.plan;
  const workers = `${p.workers} worker${p.workers === 1 ? '' : 's'}`;
  if (p.mode === 'closed') return `closed loop, ${p.concurrency} in flight, ${p.durationSeconds} s, ${workers}`;
  const ramp = p.rampSeconds > 0 ? `, ramp ${p.rampSeconds} s` : '';
  const burst = p.burst > 0 ? `, burst ${n(p.burst)} at t=0` : '';
  return `open loop, ${n(p.rate)} req/s${ramp}${burst}, ${p.durationSeconds} s (${n(p.arrivals)} arrivals), in-flight cap ${n(p.inFlightMax)}, ${workers}`;
}

export function describeMachine(m: Machine): string {
  return `${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadAverage1m} at the start`;
}

/** The headline rows: [measure, value]. */
export function headlineRows(report: Report): Array<[string, string]> {
  const r = report.results;
  const rows: Array<[string, string]> = [
    ['plan', describePlan(report)],
    ['requests due / sent / answered', `${n(r.due)} / ${n(r.sent)} / ${n(r.answered)}`],
    ['dropped by the client (in-flight cap)', n(r.dropped)],
    ['achieved', `${n(r.achievedRate)} answers/s, ${n(r.okRate)} 2xx/s over ${r.elapsedSeconds} s`],
    ...(report.plan.mode === 'open'
      ? ([
          ['latency from intended send, ms (p50 / p90 / p99 / p99.9 / max)', msList(r.latency.overall)],
          ['service time from actual send, ms (p50 / p99 / max)', msList(r.latency.service, ['p50Ms', 'p99Ms', 'maxMs'])],
          ['client send lag behind schedule, ms (p99 / max)', msList(r.latency.sendLag, ['p99Ms', 'maxMs'])],
        ] as Array<[string, string]>)
      : ([['latency from send (closed loop), ms (p50 / p90 / p99 / p99.9 / max)', msList(r.latency.overall)]] as Array<[string, string]>)),
    ['outcomes', Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]).map(([label, count]) => `${label} × ${n(count)}`).join(', ') || 'none'],
  ];
  if (r.stream) {
    const s = r.stream;
    rows.push(
      ['stream subscribers connected', `${n(s.connected)} of ${n(s.subscribers)}${s.connectFailures ? ` (${s.connectFailures} failed)` : ''}`],
      ['stream events delivered', `${n(s.events)} (${n(s.eventsPerSecond)}/s); gaps ${n(s.gaps)}, resyncs ${n(s.resyncs)}, closes ${JSON.stringify(s.closes)}`],
      ['stream delivery lag, ms (p50 / p99 / max)', msList(s.lag, ['p50Ms', 'p99Ms', 'maxMs'])],
    );
  }
  if (report.engine?.rssMbMax !== undefined) rows.push(['engine RSS MB (first / max / last)', `${report.engine.rssMbFirst} / ${report.engine.rssMbMax} / ${report.engine.rssMbLast}`]);
  if (report.engine?.heapMbMax !== undefined) rows.push(['engine heap MB (first / max / last)', `${report.engine.heapMbFirst} / ${report.engine.heapMbMax} / ${report.engine.heapMbLast}`]);
  rows.push(['audit', `${report.audit.pass ? 'PASS' : 'FAIL'}: ${report.audit.checks.filter((c) => c.pass).length}/${report.audit.checks.length} checks; reserved moved by ${n(report.audit.actual.reservedDelta)}, expected ${n(report.audit.expected.reservedUnits)}`]);
  return rows;
}

export function headlineText(report: Report, directory: string): string {
  const rows = headlineRows(report);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`${report.scenario} (${report.runId}) against ${report.target.startedByTool ? 'an engine started by the tool' : report.target.url}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), `  report: ${join(directory, 'report.html')}`].join('\n');
}

export function renderMarkdown(report: Report): string {
  const r = report.results;
  const lines = [
    `# Load test: ${report.scenario} — audit ${report.audit.pass ? 'PASS' : 'FAIL'}`,
    '',
    `Command: \`${report.command}\`  `,
    `Machine: ${describeMachine(report.machine)}. A shared machine: compare ratios across runs made side by side, not absolute numbers.  `,
    `Target: ${report.target.startedByTool ? `an engine started by the tool (${report.target.url}, temp data dir)` : report.target.url}; ${report.catalogue.skus} SKUs (${report.catalogue.firstSku}, …) at ${report.catalogue.nodes} nodes.  `,
    `Started ${report.startedAt}, finished ${report.finishedAt}.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    ...headlineRows(report).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Latency by status class (ms, from intended send)',
    '',
    '| class | count | p50 | p90 | p99 | p99.9 | max |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...Object.entries(r.latency.byClass).map(([c, l]) => `| ${c} | ${n(l.count)} | ${l.p50Ms} | ${l.p90Ms} | ${l.p99Ms} | ${l.p999Ms} | ${l.maxMs} |`),
    '',
    '## By operation',
    '',
    '| operation | answered | p50 ms | p99 ms | max ms | outcomes |',
    '| --- | --- | --- | --- | --- | --- |',
    ...Object.entries(r.byOperation).map(([name, op]) => `| ${name} | ${n(op.count)} | ${op.latency.p50Ms} | ${op.latency.p99Ms} | ${op.latency.maxMs} | ${Object.entries(op.outcomes).map(([l, c]) => `${l} × ${n(c)}`).join(', ')} |`),
    '',
    `## Audit: ${report.audit.pass ? 'PASS' : 'FAIL'}`,
    '',
    ...report.audit.checks.flatMap((c) => [`- ${c.pass ? 'ok' : '**FAIL**'} — ${c.name}: ${c.summary}`, ...c.problems.map((p) => `  - ${p}`)]),
    '',
    `The run's ledger: ${Object.entries(report.ledger).map(([k, v]) => `${k} ${n(v)}`).join(', ')}.`,
    '',
  ];
  return lines.join('\n');
}

export interface ReportFiles {
  json: string;
  markdown: string;
  html: string;
}

export function writeReport(report: Report, directory: string): ReportFiles {
  mkdirSync(directory, { recursive: true });
  const files = { json: join(directory, 'report.json'), markdown: join(directory, 'report.md'), html: join(directory, 'report.html') };
  writeFileSync(files.json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(files.markdown, renderMarkdown(report));
  writeFileSync(files.html, renderHtml(report, headlineRows(report)));
  return files;
}

/** The section appended to loadtest/RESULTS.md by --record. */
export function resultsSection(report: Report): string {
  return [
    '',
    `## ${report.startedAt.slice(0, 16)}Z — loadtest ${report.scenario}`,
    '',
    `Command: \`${report.command}\`; machine: ${describeMachine(report.machine)}, shared.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    ...headlineRows(report).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ].join('\n');
}
