// Shows the dashboard at `GET /` works in a real browser — headless Chromium from Debian
// (/usr/bin/chromium) driven by playwright-core — against the real gateway on port 0: the page
// loads with nothing fetched from anywhere but the gateway, asks for a token (a wrong one is
// refused on the page), takes a viewer token minted by ops, plots the nodes, shows a SKU's stock,
// and when an order is placed through the API the order's events appear in the live list; the
// search box finds the order and shows its history; a SKU whose last units are ordered shows in
// the sold-out list (and a click on it shows its stock); a burst of 120 orders is summarised by
// the firehose and the list stays capped at 100 rows, the hold latency chart gets its p50/p99,
// and the capacity table shows exactly the orders each node took today (the engine's count),
// against its capacityPerDay (with bars on the map too). A screenshot is saved to
// test-output/dashboard.png. Without Chromium this test fails and says how to install it.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, repoRoot, startServer, tempDir, type TestServer } from './support/fixtures.js';

const chromiumPath = '/usr/bin/chromium';
const outputDir = join(repoRoot, 'test-output');

let server: TestServer;
let context: BrowserContext | undefined;
const profile = tempDir('oo-chromium-');

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: this test needs Debian's chromium (apt-get update && apt-get install -y chromium; .ci/run installs it)`);
  }
  server = await startServer();
  context = await chromium.launchPersistentContext(profile.path, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
});
afterAll(async () => {
  await context?.close();
  await server?.close();
  profile.remove();
});

async function ops(method: string, path: string, body?: unknown) {
  const answer = await call(server.url, server.tokens.ops, method, path, body);
  expect(answer.status, `${method} ${path}`).toBeLessThan(300);
  return answer.body;
}

describe('the dashboard', () => {
  it('takes a viewer token, plots the nodes, and shows a new order live and in the search', async () => {
    const nodes = [
      { id: 'wh-chicago', name: 'Chicago DC', lat: 41.88, lon: -87.63, capacityPerDay: 40 },
      { id: 'wh-dallas', name: 'Dallas DC', lat: 32.78, lon: -96.8, capacityPerDay: 150 },
      { id: 'st-nyc', name: 'NYC store', lat: 40.71, lon: -74.0, capacityPerDay: 20 },
    ];
    for (const n of nodes) {
      await ops('PUT', `/v1/nodes/${n.id}`, { type: n.id.startsWith('st') ? 'store' : 'warehouse', name: n.name, location: { lat: n.lat, lon: n.lon }, capacityPerDay: n.capacityPerDay });
      await ops('PUT', `/v1/inventory/${n.id}/SKU-MUG`, { onHand: 20 });
    }
    await ops('POST', '/v1/nodes/st-nyc/status', { status: 'paused' });
    const viewer = await ops('POST', '/v1/tokens/viewer', { ttlSeconds: 600 });

    const page: Page = await context!.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      // The wrong token (401) and the unknown order (404) below are refused on purpose.
      if (message.type() === 'error' && !/status of (401|404)/.test(message.text())) problems.push(message.text());
    });

    await page.goto(`${server.url}/`);
    await expect(page.title()).resolves.toBe('Order orchestration');

    // A wrong token is refused on the page.
    await page.fill('#token', 'not-a-token');
    await page.click('#login button');
    await page.waitForFunction(() => document.getElementById('login-error')!.textContent!.includes('refused'));

    await page.fill('#token', viewer.token);
    await page.click('#login button');
    await page.waitForFunction(() => document.getElementById('state')!.textContent === 'live', undefined, { timeout: 10_000 });

    // The nodes, plotted, with their status.
    await page.waitForSelector('#map circle[data-node="wh-dallas"]');
    expect(await page.locator('#map circle').count()).toBe(3);
    expect(await page.getAttribute('#map circle[data-node="st-nyc"]', 'fill')).toBe('#facc15');
    expect(await page.getAttribute('#map circle[data-node="wh-chicago"]', 'fill')).toBe('#4ade80');

    // Stock of a SKU, live.
    await page.fill('#sku', 'SKU-MUG');
    await page.click('#sku-form button');
    await page.waitForFunction(() => document.querySelectorAll('#stock tbody tr').length === 3);

    // An order placed through the API shows up in the live list.
    const order = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', {
      customerId: 'c-browser', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'SKU-MUG', qty: 3 }],
    });
    expect(order.status).toBe(201);
    const orderId = order.body.orderId as string;
    const row = page.locator(`#events li[data-order-id="${orderId}"]`).first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain(orderId);
    // The stock table follows: 3 reserved at Chicago.
    await page.waitForFunction(() => [...document.querySelectorAll('#stock tbody tr')].some((tr) => tr.children[0].textContent === 'wh-chicago' && tr.children[2].textContent === '3'));

    // The last 2 units of a SKU are ordered: it shows in the sold-out list (polled every 3 s).
    await ops('PUT', '/v1/inventory/wh-dallas/SKU-LAST', { onHand: 2 });
    const last = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', {
      customerId: 'c-last', destination: { lat: 32.8, lon: -96.8 }, lines: [{ sku: 'SKU-LAST', qty: 2 }],
    });
    expect(last.status).toBe(201);

    // The search box finds it and shows its history.
    await page.fill('#order-id', orderId);
    await page.click('#search button');
    await page.waitForSelector('#order-history');
    const history = await page.locator('#order-history').textContent();
    expect(history).toContain('order.allocated');
    expect(await page.locator('#order-view').textContent()).toContain(orderId);
    // ... and why it was routed where it was.
    expect(await page.locator('#order-routing').textContent()).toContain('served the whole line');
    // An unknown order says so.
    await page.fill('#order-id', 'ord_missing');
    await page.click('#search button');
    await page.waitForFunction(() => document.getElementById('order-view')!.textContent!.includes('no such order'));
    await page.fill('#order-id', orderId);
    await page.click('#search button');
    await page.waitForSelector('#order-history');

    const soldOut = page.locator('#sold-out td[data-sku="SKU-LAST"]');
    await soldOut.waitFor({ timeout: 10_000 });
    expect(await page.locator('#sold-out-count').textContent()).toMatch(/^\d+ SKUs?$/);
    // A click shows its stock: all of it reserved.
    await soldOut.click();
    await page.waitForFunction(() => [...document.querySelectorAll('#stock tbody tr')].some((tr) => tr.children[0].textContent === 'wh-dallas' && tr.children[2].textContent === '2' && tr.children[3].textContent === '0'));
    expect(await page.locator('#sku-total').textContent()).toContain('SKU-LAST: 0 available');

    // A burst: the firehose summarises past its bound, and the page keeps at most 100 rows.
    await ops('PUT', '/v1/inventory/wh-dallas/SKU-TEE', { onHand: 10_000 });
    const burst = await Promise.all(Array.from({ length: 120 }, (_, i) => call(server.url, server.tokens.checkout, 'POST', '/v1/orders', {
      customerId: `c-burst-${i}`, destination: { lat: 32.8, lon: -96.8 }, lines: [{ sku: 'SKU-TEE', qty: 1 }],
    })));
    expect(burst.every((answer) => answer.status === 201)).toBe(true);
    await page.waitForSelector('#events li.summary', { timeout: 10_000 });
    expect(await page.locator('#events li').count()).toBeLessThanOrEqual(100);
    await page.waitForFunction(() => Number(document.getElementById('event-count')!.textContent!.split(' ')[0]) >= 3 + 120 * 3, undefined, { timeout: 10_000 });
    // The hold latency chart has p50 and p99 for the seconds with holds (GET /v1/stats, every second).
    await page.waitForFunction(() => Number(document.getElementById('latency')!.dataset.seconds) >= 1, undefined, { timeout: 5_000 });
    expect(await page.locator('#latency-p50').textContent()).toMatch(/ms$/);
    expect(await page.locator('#latency-p99').textContent()).toMatch(/ms$/);
    // The orders chart has the burst: 120 orders and the 2 before it, over the last minute.
    await page.waitForFunction(() => Number(document.getElementById('rate')!.dataset.orders) === 122, undefined, { timeout: 5_000 });
    // Capacity: the orders each node took today, as the engine counts them — 1 at Chicago, 121 at Dallas — against capacityPerDay.
    const released = (nodeId: string) => page.locator(`#capacity tr[data-node="${nodeId}"] td:nth-child(2)`).textContent();
    await expect.poll(() => released('wh-dallas'), { timeout: 5_000 }).toBe('121');
    expect(await released('wh-chicago')).toBe('1');
    expect(await released('st-nyc')).toBe('0');
    expect(await page.locator('#capacity tr[data-node="wh-dallas"] td:nth-child(3)').textContent()).toBe('150');
    expect(await page.locator('#capacity tr[data-node="wh-dallas"] .bar > div').getAttribute('style')).toContain('width: 81%');
    expect(await page.locator('#capacity-since').textContent()).toMatch(/^updated /);
    await page.waitForSelector('#map rect[data-capacity="wh-dallas"]');
    await page.waitForTimeout(1_100); // one more tick of the charts

    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });

    // Nothing was fetched from anywhere but the gateway.
    const foreign = requested.filter((u) => !u.startsWith(server.url) && !u.startsWith(server.wsUrl.replace('/v1/stream', '')));
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
