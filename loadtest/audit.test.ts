// Shows the audit on a real engine (the built engine in a child process, real HTTP): a tiny flash
// sale (350 holds at 150/s on 3 SKUs of 60 units, a burst of 50, per-customer limit 2) sells out
// and passes the audit; then the audit is fed wrong expectations — one more success than happened,
// one fewer, a 2xx id that does not exist, a customer over the limit — and fails each time, naming
// the check. Then, on the same (now shared) engine, `steady` with two forked workers and `fanout`
// with WebSocket subscribers pass too, and the report files are written and self-contained.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineProcess, tempDir, type EngineProcess } from '../test/support/fixtures.js';
import { audit, formatAudit, type AuditResult } from './audit.js';
import { ApiClient, HttpTransport } from './http-client.js';
import { parseOptions, UsageError } from './options.js';
import { runLoadTest, type RunResult } from './run.js';
import type { LedgerSummary } from './run-ledger.js';
import { openTarget } from './target.js';

let engine: EngineProcess;
let dataDir: ReturnType<typeof tempDir>;
let outDir: ReturnType<typeof tempDir>;
let flash: RunResult;

const quiet = { command: 'vitest', log: () => {} };
const targetFlags = () => ['--url', engine.url, '--ops-token', engine.tokens.ops, '--checkout-token', engine.tokens.checkout, '--no-progress'];
const failedChecks = (result: AuditResult): string[] => result.checks.filter((c) => !c.pass).map((c) => c.name);

beforeAll(async () => {
  dataDir = tempDir('oo-audit-test-');
  outDir = tempDir('oo-audit-out-');
  engine = await startEngineProcess(dataDir.path);
  flash = await runLoadTest(
    parseOptions(['flash-sale', ...targetFlags(), '--rate', '150', '--duration', '2', '--burst', '50', '--stock', '60', '--buyers', '200', '--seed', 'audit-test', '--out', join(outDir.path, 'flash')]),
    quiet,
  );
});

afterAll(async () => {
  await engine?.stop();
  dataDir?.remove();
  outDir?.remove();
});

describe('the audit on a real engine', () => {
  it('a tiny flash sale sells out, refuses the rest, and passes', () => {
    expect(flash.audit.pass, formatAudit(flash.audit)).toBe(true);
    const { results } = flash.report;
    expect(results).toMatchObject({ due: 350, sent: 350, answered: 350, dropped: 0 });
    expect(results.outcomes['201']).toBeGreaterThan(0);
    expect(results.outcomes['409 INSUFFICIENT_STOCK']).toBeGreaterThan(0);
    expect(results.outcomes['409 PURCHASE_LIMIT']).toBeGreaterThan(0);
    // Sold out: everything on hand is reserved, and the run's holds account for every unit.
    expect(flash.audit.actual.reservedDelta).toBe(180);
    expect(flash.audit.expected.reservedUnits).toBe(180);
    expect(flash.audit.expected.readBack).toBe(results.outcomes['201']);
  });

  const api = () => new ApiClient(new HttpTransport(engine.url, { maxSockets: 4, timeoutMs: 10_000 }), engine.tokens.ops);
  const auditWith = (ledger: LedgerSummary) => audit({ api: api(), checkoutToken: engine.tokens.checkout, catalogue: flash.catalogue, before: flash.before, ledger });
  const sku = () => flash.catalogue.skus[0];
  const node = () => flash.catalogue.nodes[0].nodeId;

  it('fails when the run claims one more success than happened', async () => {
    const ledger = structuredClone(flash.ledger);
    ledger.held.push({ reservationId: 'rsv_phantom', expiresAtMs: Date.now() + 3_600_000, units: [[sku(), node(), 1]] });
    const result = await auditWith(ledger);
    expect(result.pass).toBe(false);
    expect(failedChecks(result)).toEqual(['successful holds add up to reserved (nothing refused was held)']);
    expect(result.checks[0].problems[0]).toContain(`${sku()} @ ${node()}: reserved moved by`);
  });

  it('fails when a success is missing (as if a refused request had held stock)', async () => {
    const ledger = structuredClone(flash.ledger);
    ledger.held.shift();
    const result = await auditWith(ledger);
    expect(failedChecks(result)).toEqual(['successful holds add up to reserved (nothing refused was held)']);
  });

  it('fails when a 2xx hold id does not read back, or reads back otherwise', async () => {
    const ledger = structuredClone(flash.ledger);
    ledger.sample.push({ reservationId: 'rsv_doesnotexist', expected: 'held', expiresAtMs: Date.now() + 3_600_000, allocations: [[sku(), node(), 1]], uncertain: false });
    ledger.sample[0] = { ...ledger.sample[0], expected: 'released' };
    const result = await auditWith(ledger);
    expect(failedChecks(result)).toEqual(['every 2xx hold id reads back']);
    const problems = result.checks.find((c) => !c.pass)!.problems.join('\n');
    expect(problems).toContain('rsv_doesnotexist: 404 NOT_FOUND');
    expect(problems).toContain('status held, expected released');
  });

  it('fails when a customer holds more than maxPerCustomer', async () => {
    const ledger = structuredClone(flash.ledger);
    ledger.customerUnits[`someone\t${sku()}`] = 3;
    expect(failedChecks(await auditWith(ledger))).toEqual(['no customer holds more than maxPerCustomer']);
  });

  it('writes report.json, report.md and a self-contained report.html', () => {
    const json = JSON.parse(readFileSync(flash.files.json, 'utf8'));
    expect(json.results.sent).toBe(350);
    expect(json.timeline.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(json)).not.toContain(engine.tokens.ops);
    const markdown = readFileSync(flash.files.markdown, 'utf8');
    expect(markdown).toContain('# Load test: flash-sale — audit PASS');
    expect(markdown).toContain('| latency from intended send');
    const html = readFileSync(flash.files.html, 'utf8');
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(2);
    expect(html).toContain('Latency per second');
    expect(html).toContain('Throughput per second');
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/);
  });
});

describe('the target', () => {
  it('--url takes its tokens from --data-dir\'s credentials.json; an unreachable URL is a usage error', async () => {
    const target = await openTarget(parseOptions(['steady', '--url', engine.url, '--data-dir', dataDir.path]));
    expect(target).toMatchObject({ url: engine.url, startedByTool: false, tokens: { ops: engine.tokens.ops, checkout: engine.tokens.checkout, viewer: engine.tokens.viewer } });
    await expect(openTarget(parseOptions(['steady', '--url', 'http://127.0.0.1:1', '--ops-token', 'x']))).rejects.toThrow(UsageError);
    await expect(openTarget(parseOptions(['steady', '--url', engine.url]))).rejects.toThrow(/ops token/);
  });
});

describe('other scenarios against the same engine', () => {
  it('steady with two forked workers: confirms, cancels, node events; the audit passes', async () => {
    const out = join(outDir.path, 'steady');
    const result = await runLoadTest(parseOptions(['steady', ...targetFlags(), '--rate', '80', '--duration', '2', '--skus', '10', '--workers', '2', '--seed', 'steady-test', '--out', out]), quiet);
    expect(result.audit.pass, formatAudit(result.audit)).toBe(true);
    expect(result.report.results.sent).toBe(160);
    const operations = Object.keys(result.report.results.byOperation);
    expect(operations).toEqual(expect.arrayContaining(['hold', 'order']));
    expect(operations.some((name) => name.startsWith('event:'))).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('requests that time out (--timeout 1 ms) leave unknown outcomes, which the audit resolves exactly', async () => {
    const result = await runLoadTest(parseOptions(['steady', ...targetFlags(), '--rate', '60', '--duration', '1', '--skus', '5', '--timeout', '1', '--seed', 'timeout-test', '--out', join(outDir.path, 'timeout')]), quiet);
    expect(result.report.results.outcomes.timeout).toBeGreaterThan(0);
    expect(result.ledger.unknownCreates.length + result.ledger.uncertain.length).toBeGreaterThan(0);
    expect(result.audit.pass, formatAudit(result.audit)).toBe(true);
  });

  it('fanout: subscribers get the run\'s events, with their delivery lag', async () => {
    const result = await runLoadTest(
      parseOptions(['fanout', ...targetFlags(), '--viewer-token', engine.tokens.viewer, '--rate', '50', '--duration', '2', '--skus', '5', '--subscribers', '4', '--seed', 'fanout-test', '--out', join(outDir.path, 'fanout')]),
      quiet,
    );
    expect(result.audit.pass, formatAudit(result.audit)).toBe(true);
    const stream = result.report.results.stream!;
    expect(stream.connected).toBe(4);
    expect(stream.events).toBeGreaterThan(0);
    expect(stream.lag.count).toBe(stream.events);
    expect(stream.gaps).toBe(0);
  });
});
