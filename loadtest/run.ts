import { appendFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Aggregator, mergeWorkerStats } from './aggregate.js';
import { arrivalCount } from './arrivals.js';
import { audit, formatAudit, snapshotInventory, type AuditResult, type InventorySnapshot } from './audit.js';
import { ApiClient, HttpTransport } from './http-client.js';
import { EngineMonitor } from './monitor.js';
import type { RunOptions } from './options.js';
import { resultsMarkdown } from './paths.js';
import { ProgressView } from './progress.js';
import { seededRandom } from './random.js';
import { engineSummary, headlineText, machineNow, resultsSection, withEngineSamples, withoutTokens, writeReport, type Report, type ReportFiles } from './report.js';
import { mergeSummaries, type LedgerSummary } from './run-ledger.js';
import type { Catalogue } from './scenarios/catalogue.js';
import { scenarios } from './scenarios/index.js';
import { planOf } from './session.js';
import { openTarget } from './target.js';
import { prepareWorkers } from './workers.js';

// One load test from start to end: the target, the scenario's setup, a snapshot of the inventory,
// the workers (with the live bar), the audit, the report. The CLI is a thin shell around this;
// tests call it directly.

export interface RunResult {
  report: Report;
  directory: string;
  files: ReportFiles;
  audit: AuditResult;
  ledger: LedgerSummary;
  before: InventorySnapshot;
  catalogue: Catalogue;
}

export interface RunIo {
  /** The command as typed, for the report. */
  command: string;
  log(line: string): void;
  /** Aborting ends the sending early; what was sent is still audited and reported. */
  signal?: AbortSignal;
}

/** Every worker gets the start time this far ahead, so all begin together. */
const startLeadMs = 300;

export function newRunId(): string {
  return `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0')}`;
}

function resultsDirectory(options: RunOptions, runId: string, startedAt: Date): string {
  if (options.out) return resolve(options.out);
  const stamp = startedAt.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const directory = resolve('results', `${options.scenario}-${stamp}`);
  return existsSync(directory) ? `${directory}-${runId}` : directory;
}

export async function runLoadTest(options: RunOptions, io: RunIo): Promise<RunResult> {
  const startedAt = new Date();
  const machine = machineNow();
  const runId = newRunId();
  const target = await openTarget(options);
  const setupTransport = new HttpTransport(target.url, { maxSockets: 16, timeoutMs: 30_000 });
  let group: Awaited<ReturnType<typeof prepareWorkers>> | undefined;
  try {
    const api = new ApiClient(setupTransport, target.tokens.ops ?? target.tokens.checkout);
    io.log(`${options.scenario}: target ${target.startedByTool ? `engine started at ${target.url}` : target.url}; setting up (run ${runId})`);
    const catalogue = await scenarios[options.scenario].setup(api, options, runId);
    const before = await snapshotInventory(api, catalogue.skus);

    const tasks = Array.from({ length: options.workers }, (_, workerIndex) => ({ options, catalogue, url: target.url, tokens: target.tokens, workerIndex, workerCount: options.workers }));
    group = await prepareWorkers(tasks);
    const stopGroup = group.stop;
    io.signal?.addEventListener('abort', () => stopGroup(), { once: true });
    const startAtMs = Date.now() + startLeadMs;
    const plan = options.closed ? undefined : planOf(options);
    const aggregator = new Aggregator(plan, startAtMs);
    const monitor = target.tokens.ops ? new EngineMonitor(api, startAtMs) : undefined;
    monitor?.start();
    const progress = new ProgressView(options.progress ?? process.stdout.isTTY === true, options.durationSeconds, options.closed ? 'max' : String(options.rate));
    const progressTimer = setInterval(() => progress.update(aggregator.live(Date.now())), 500);
    let results;
    try {
      results = await group.run(startAtMs, (tick) => aggregator.addTick(tick));
    } finally {
      clearInterval(progressTimer);
      progress.update(aggregator.live(Date.now()));
      progress.stop();
      monitor?.stop();
    }
    await monitor?.sample();

    const ledger = mergeSummaries(results.map((r) => r.ledger), options.auditSample, seededRandom(`${options.seed}:merge`));
    io.log(`${options.scenario}: load done; auditing (${ledger.sample.length} hold ids to read back)`);
    // Short-lived holds (the soak's 60 s) are all waited out: an audit that reads thousands of ids
    // on a busy machine can outlast a margin, and a hold expiring mid-read is neither here nor there.
    const ttl = catalogue.holdTtlSeconds;
    const expiryWaitMaxMs = ttl !== undefined && ttl <= 300 ? ttl * 1000 + 5_000 : undefined;
    const auditResult = await audit({ api, checkoutToken: target.tokens.checkout, catalogue, before, ledger, ...(expiryWaitMaxMs !== undefined ? { expiryWaitMaxMs } : {}) });

    const report: Report = {
      scenario: options.scenario,
      runId,
      command: io.command,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine,
      target: { url: target.url, startedByTool: target.startedByTool },
      options: withoutTokens(options),
      plan: {
        mode: options.closed ? 'closed' : 'open',
        rate: options.closed ? 0 : options.rate,
        rampSeconds: options.closed ? 0 : options.rampSeconds,
        durationSeconds: options.durationSeconds,
        burst: options.closed ? 0 : options.burst,
        arrivals: plan ? arrivalCount(plan) : 0,
        concurrency: options.closed ? options.concurrency : 0,
        workers: options.workers,
        inFlightMax: options.closed ? options.concurrency : options.inFlightMax,
      },
      catalogue: { skus: catalogue.skus.length, nodes: catalogue.nodes.length, firstSku: catalogue.skus[0], maxPerCustomer: Object.values(catalogue.maxPerCustomer)[0], holdTtlSeconds: catalogue.holdTtlSeconds },
      results: mergeWorkerStats(results.map((r) => r.stats)),
      ledger: ledger.counts,
      engine: engineSummary(monitor?.samples ?? []),
      timeline: withEngineSamples(aggregator.timeline(), monitor?.samples ?? []),
      audit: auditResult,
    };
    const directory = resultsDirectory(options, runId, startedAt);
    const files = writeReport(report, directory);
    io.log(headlineText(report, directory));
    io.log(formatAudit(auditResult));
    if (options.record) {
      appendFileSync(resultsMarkdown, resultsSection(report));
      io.log('headline appended to loadtest/RESULTS.md');
    }
    return { report, directory, files, audit: auditResult, ledger, before, catalogue };
  } catch (error) {
    group?.kill();
    throw error;
  } finally {
    setupTransport.close();
    await target.stop();
  }
}
