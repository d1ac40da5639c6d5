// `GET /`: the operations dashboard, one self-contained page (no CDN, nothing fetched from the
// internet). It asks once for a viewer token (kept for the browser tab), then shows live: the
// nodes plotted by their coordinates with their status, the stock of a chosen SKU and their
// capacity use; orders (and holds, refusals) per second and hold latency p50/p99 over the last
// minute (`GET /v1/stats`, polled every second); the sold-out SKUs (`GET /v1/skus/sold-out`, every
// 3 s); the latest order events of the `orders` firehose; and an order search with the order's
// lines and history. Capacity use is the engine's own count of the orders each node took on its
// local day (`stats.ordersToday` of `GET /v1/nodes`, polled every 2 s) against its
// `capacityPerDay`. Frames and poll answers are kept as they come and drawn once per
// animation frame; polls never overlap; lists are capped, so a flash sale cannot make the page
// slow. It reconnects with `from` (stream resume) and reloads what a `resync` frame says it
// missed. Data goes into the page as text (textContent), never as HTML.

export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Order orchestration</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
  :root { --bg: #0f172a; --panel: #1e293b; --line: #334155; --dim: #94a3b8; --text: #e2e8f0; --accent: #38bdf8; --ok: #4ade80; --warn: #facc15; --bad: #f87171; }
  * { box-sizing: border-box; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: var(--bg); color: var(--text); }
  header { padding: 10px 20px; background: var(--panel); display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 16px; margin: 0; flex: 1; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 14px; padding: 14px 20px; }
  main[hidden] { display: none; }
  section { background: var(--panel); border-radius: 8px; padding: 12px; min-width: 0; }
  .wide { grid-column: 1 / -1; }
  h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--dim); margin: 0 0 8px; display: flex; gap: 8px; align-items: center; }
  h2 .grow { flex: 1; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 240px; }
  th { color: var(--dim); font-weight: 500; }
  td.n, th.n { text-align: right; }
  input, button { font: inherit; padding: 4px 8px; border-radius: 4px; border: 1px solid #475569; background: var(--bg); color: inherit; }
  button { cursor: pointer; } button:hover { border-color: var(--accent); }
  form { display: flex; gap: 6px; margin: 0; }
  .pill { padding: 2px 10px; border-radius: 999px; background: var(--line); font-size: 12px; }
  .pill.live { background: #14532d; color: var(--ok); } .pill.error { background: #7f1d1d; color: #fecaca; }
  .online { color: var(--ok); } .paused { color: var(--warn); } .offline { color: var(--bad); }
  #map { width: 100%; height: 340px; display: block; }
  #map circle { stroke: var(--bg); stroke-width: 1; }
  #map text { fill: var(--dim); font-size: 10px; }
  #events { list-style: none; margin: 0; padding: 0; height: 300px; overflow: auto; font: 12px/1.6 ui-monospace, monospace; }
  #events li { cursor: pointer; padding: 0 4px; border-bottom: 1px solid #0f172a; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #events li:hover { background: var(--line); }
  #events li.summary { color: var(--warn); }
  #events .t { color: var(--dim); }
  #rate, #latency { width: 100%; height: 110px; display: block; }
  .legend { display: flex; gap: 12px; font-size: 12px; color: var(--dim); margin-top: 4px; }
  .legend i { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin-right: 4px; }
  .scroll { max-height: 260px; overflow: auto; }
  .scroll.stock { max-height: 300px; }
  .scroll thead th { position: sticky; top: 0; background: var(--panel); }
  #sold-out td:first-child { cursor: pointer; color: var(--bad); }
  #sold-out td:first-child:hover { text-decoration: underline; }
  .note { font-size: 12px; color: var(--dim); margin: 0 0 6px; }
  .big { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .dim { color: var(--dim); }
  .bar { height: 6px; background: var(--line); border-radius: 3px; overflow: hidden; min-width: 60px; }
  .bar > div { height: 100%; background: var(--accent); }
  .bar > div.hot { background: var(--warn); } .bar > div.full { background: var(--bad); }
  #order-view { margin-top: 8px; }
  #login-box { max-width: 420px; margin: 80px auto; background: var(--panel); padding: 24px; border-radius: 8px; }
  #login-box p { color: var(--dim); }
</style>
</head>
<body>
<header>
  <h1>Order orchestration</h1>
  <span id="state" class="pill">signed out</span>
  <button id="logout" hidden>Sign out</button>
</header>
<div id="login-box">
  <h2>Viewer token</h2>
  <p>Paste a viewer token (an operator mints one with <code>POST /v1/tokens/viewer</code>). It is kept for this tab only.</p>
  <form id="login"><input id="token" type="password" placeholder="viewer token" autocomplete="off" style="flex:1"><button>Connect</button></form>
  <p id="login-error" class="offline"></p>
</div>
<main id="app" hidden>
  <section>
    <h2><span class="grow">Network</span><span id="node-count" class="dim"></span></h2>
    <svg id="map" viewBox="0 0 600 340" role="img" aria-label="nodes by location"></svg>
  </section>
  <section>
    <h2><span class="grow">Stock by node</span>
      <form id="sku-form"><input id="sku" placeholder="SKU" size="14" autocomplete="off"><button>Show</button></form></h2>
    <div class="dim" id="sku-total"></div>
    <div class="scroll stock"><table id="stock"><thead><tr><th>node</th><th class="n">on hand</th><th class="n">reserved</th><th class="n">available</th><th>use</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section>
    <h2><span class="grow">Orders per second, last minute</span><span class="dim">holds <span id="holds-now">0</span>/s · refused <span id="refused-now">0</span>/s</span></h2>
    <div class="big" id="orders-now">0</div>
    <canvas id="rate" aria-label="orders, holds and refusals per second"></canvas>
    <div class="legend"><span><i style="background:#38bdf8"></i>orders</span><span><i style="background:#64748b"></i>holds</span><span><i style="background:#f87171"></i>refused</span></div>
  </section>
  <section>
    <h2><span class="grow">Hold latency, last minute</span><span class="dim" id="latency-count"></span></h2>
    <div class="big"><span id="latency-p50">–</span> <span class="dim" style="font-size:14px">p50</span> · <span id="latency-p99">–</span> <span class="dim" style="font-size:14px">p99</span></div>
    <canvas id="latency" aria-label="hold latency p50 and p99 per second"></canvas>
    <div class="legend"><span><i style="background:#38bdf8"></i>p50</span><span><i style="background:#facc15"></i>p99</span><span>successful holds and orders, per second</span></div>
  </section>
  <section>
    <h2><span class="grow">Capacity use</span><span class="dim" id="capacity-since"></span></h2>
    <p class="note">Orders each node has taken today (its own local day: held, released or shipped; cancelled and moved ones give the slot back), against its capacity per day. At the cap, routing skips the node until its next day.</p>
    <div class="scroll"><table id="capacity"><thead><tr><th>node</th><th class="n">today</th><th class="n">capacity/day</th><th>use</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section>
    <h2><span class="grow">Sold out</span><span class="dim" id="sold-out-count"></span></h2>
    <p class="note" id="sold-out-note">Nothing available on any online node. Click one to see its stock.</p>
    <div class="scroll"><table id="sold-out"><thead><tr><th>sku</th><th class="n">on hand</th><th class="n">reserved</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section class="wide">
    <h2>Find an order</h2>
    <form id="search"><input id="order-id" placeholder="ord_… or rsv_…" size="30" autocomplete="off"><button>Find</button></form>
    <div id="order-view"></div>
  </section>
  <section class="wide">
    <h2><span class="grow">Latest order events</span><span class="dim" id="event-count"></span></h2>
    <ul id="events"></ul>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const EVENT_ROWS_MAX = 100, STOCK_ROWS_MAX = 50, NODE_TOPICS_MAX = 60, QUEUE_MAX = 1000;
const CAPACITY_ROWS_MAX = 50, SOLD_OUT_ROWS_MAX = 50, STATS_EVERY_MS = 1000, SOLD_OUT_EVERY_MS = 3000, NODES_EVERY_MS = 2000;
const state = {
  token: sessionStorage.getItem('oo-token') || '',
  nodes: new Map(), stock: null, sku: sessionStorage.getItem('oo-sku') || '',
  lastSeq: {}, queue: [], seen: 0, ws: null, retryMs: 500,
  // From GET /v1/stats and GET /v1/skus/sold-out: the latest answer of each.
  stats: null, soldOut: null,
  nodesAt: 0,
  dirty: { map: false, stock: false, stats: false, soldOut: false, capacity: false },
};

function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function setState(text, cls) { const s = $('state'); s.textContent = text; s.className = 'pill ' + (cls || ''); }
function api(path) {
  return fetch(path, { headers: { authorization: 'Bearer ' + state.token } }).then(async (res) => {
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { const err = new Error((body.error && body.error.code) || ('HTTP ' + res.status)); err.status = res.status; throw err; }
    return body;
  });
}
/** Calls load() every everyMs, never two at once: a tick while one is still running is skipped. */
function poll(load, everyMs) {
  let busy = false;
  const tick = () => {
    if (busy || document.hidden) return;
    busy = true;
    load().catch((e) => { if (e.status === 401) setState('token refused: sign in again', 'error'); }).finally(() => { busy = false; });
  };
  tick(); setInterval(tick, everyMs);
}

// ---- sign in --------------------------------------------------------------------------------
async function signIn(token) {
  state.token = token;
  try { await loadNodes(); } catch (e) {
    $('login-error').textContent = e.status === 401 || e.status === 403 ? 'That token was refused (' + e.message + ').' : 'Cannot reach the server: ' + e.message;
    sessionStorage.removeItem('oo-token'); state.token = ''; return;
  }
  sessionStorage.setItem('oo-token', token);
  $('login-box').hidden = true; $('app').hidden = false; $('logout').hidden = false;
  if (state.sku) { $('sku').value = state.sku; loadStock(state.sku); }
  connect();
  poll(loadNodes, NODES_EVERY_MS);
  poll(loadStats, STATS_EVERY_MS);
  poll(loadSoldOut, SOLD_OUT_EVERY_MS);
  requestAnimationFrame(draw);
}
$('login').onsubmit = (ev) => { ev.preventDefault(); const t = $('token').value.trim(); if (t) signIn(t); };
$('logout').onclick = () => { sessionStorage.removeItem('oo-token'); location.reload(); };

// ---- nodes, stock, stats and orders over HTTP -------------------------------------------------
async function loadNodes() {
  const { nodes } = await api('/v1/nodes');
  state.nodes = new Map(nodes.map((n) => [n.nodeId, n]));
  state.nodesAt = Date.now();
  $('node-count').textContent = nodes.length + ' nodes';
  state.dirty.map = state.dirty.capacity = true;
  subscribeNodes();
}
async function loadStock(sku) {
  try { state.stock = await api('/v1/inventory/' + encodeURIComponent(sku)); }
  catch (e) { state.stock = { sku, available: 0, nodes: [], error: e.message }; }
  state.dirty.stock = state.dirty.map = true;
}
async function loadStats() { state.stats = await api('/v1/stats'); state.dirty.stats = true; }
async function loadSoldOut() { state.soldOut = await api('/v1/skus/sold-out'); state.dirty.soldOut = true; }
function showSku(sku) {
  if (state.sku && state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ op: 'unsubscribe', topics: ['sku:' + state.sku] }));
  state.sku = sku; sessionStorage.setItem('oo-sku', sku); delete state.lastSeq['sku:' + sku];
  $('sku').value = sku;
  loadStock(sku); subscribe(['sku:' + sku]);
}
$('sku-form').onsubmit = (ev) => { ev.preventDefault(); const sku = $('sku').value.trim(); if (sku) showSku(sku); };
$('sold-out').onclick = (ev) => { const td = ev.target.closest('td'); if (td && td.dataset.sku) showSku(td.dataset.sku); };
async function showOrder(id) {
  const view = $('order-view'); view.replaceChildren(el('div', 'loading ' + id + '…', 'dim'));
  let order;
  try { order = await api('/v1/orders/' + encodeURIComponent(id)); }
  catch (e) { view.replaceChildren(el('div', id + ': ' + (e.status === 404 ? 'no such order' : e.message), 'offline')); return; }
  const head = el('div'); head.append(el('b', order.orderId), ' ', el('span', order.status, 'pill'));
  if (order.promise && order.promise.deliveryBy) head.append(' ', el('span', 'by ' + order.promise.deliveryBy.slice(0, 16).replace('T', ' '), 'dim'));
  const lines = el('table'); lines.append(row('th', ['sku', 'qty', 'node', 'status']));
  for (const l of order.lines || []) lines.append(row('td', [l.sku, l.qty, l.nodeId || '—', l.status]));
  const history = el('table'); history.append(row('th', ['time', 'event', 'detail']));
  for (const h of (order.history || []).slice(-30)) history.append(row('td', [String(h.at).slice(11, 23), h.type, detailOf(h)]));
  history.id = 'order-history';
  const parts = [head, lines];
  // Why each line went where: the nearest candidates, what each had, what it gave, and why.
  if (order.routing && order.routing.lines) {
    const routing = el('table'); routing.id = 'order-routing';
    routing.append(row('th', ['routing (' + order.routing.strategy + ')', 'node', 'km', 'had', 'gave', 'why']));
    for (const line of order.routing.lines) {
      for (const c of line.candidates) routing.append(row('td', [line.qty + ' ' + line.sku, c.nodeId, c.distanceKm, c.available, c.took, c.why]));
    }
    for (const x of order.routing.excluded || []) routing.append(row('td', ['—', x.nodeId, '', '', '', 'left out: ' + x.reason]));
    parts.push(routing);
  }
  parts.push(history);
  view.replaceChildren(...parts);
}
/** What a history entry says besides its time and type (lines moved, nodes, reasons), in short. */
function detailOf(entry) {
  const parts = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'at' || key === 'type' || key === 'seq') continue;
    if (Array.isArray(value)) parts.push(value.slice(0, 5).map((v) => v && typeof v === 'object' ? [v.qty, v.sku, v.nodeId ? '@' + v.nodeId : ''].filter((x) => x !== undefined && x !== '').join(' ') || JSON.stringify(v) : String(v)).join(', ') + (value.length > 5 ? ', …' : ''));
    else parts.push(key + ' ' + (value && typeof value === 'object' ? JSON.stringify(value) : String(value)));
  }
  return parts.join('; ').slice(0, 200);
}
function row(cell, values) { const tr = el('tr'); for (const v of values) tr.append(el(cell, v)); return tr; }
$('search').onsubmit = (ev) => { ev.preventDefault(); const id = $('order-id').value.trim(); if (id) showOrder(id); };
$('events').onclick = (ev) => { const li = ev.target.closest('li'); if (li && li.dataset.orderId) { $('order-id').value = li.dataset.orderId; showOrder(li.dataset.orderId); } };

// ---- the stream: subscribe, resume with from, resync ------------------------------------------
function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/stream?token=' + encodeURIComponent(state.token));
  state.ws = ws;
  ws.onopen = () => {
    setState('live', 'live'); state.retryMs = 500; nodeTopics = new Set();
    const topics = ['orders'].concat(state.sku ? ['sku:' + state.sku] : []);
    subscribe(topics); subscribeNodes();
  };
  ws.onclose = (ev) => {
    setState(ev.code === 1001 ? 'server restarting…' : 'reconnecting…', 'error');
    state.retryMs = Math.min(state.retryMs * 2, 10000);
    setTimeout(connect, state.retryMs);
  };
  ws.onmessage = (m) => {
    state.queue.push(JSON.parse(m.data));
    // A hidden tab gets no animation frames: apply (without drawing) rather than queue without end.
    if (state.queue.length > QUEUE_MAX) for (const f of state.queue.splice(0)) apply(f);
  };
}
function subscribe(topics) {
  const ws = state.ws; if (!ws || ws.readyState !== 1 || topics.length === 0) return;
  const from = {};
  for (const t of topics) if (state.lastSeq[t] !== undefined) from[t] = state.lastSeq[t];
  ws.send(JSON.stringify({ op: 'subscribe', topics, from }));
}
let nodeTopics = new Set();
function subscribeNodes() {
  const wanted = [...state.nodes.keys()].slice(0, NODE_TOPICS_MAX).map((id) => 'node:' + id).filter((t) => !nodeTopics.has(t));
  if (!state.ws || state.ws.readyState !== 1) { nodeTopics = new Set(); return; }
  for (const t of wanted) nodeTopics.add(t);
  subscribe(wanted);
}

// ---- frames, applied once per animation frame -------------------------------------------------
const newRows = [];
function apply(frame) {
  if (frame.op === 'resync') {
    state.lastSeq[frame.topic] = frame.seq;
    if (frame.topic.startsWith('sku:')) loadStock(frame.topic.slice(4));
    if (frame.topic.startsWith('node:')) loadNodes().catch(() => {});
    return;
  }
  if (frame.op === 'error') { setState('stream: ' + frame.error.code, 'error'); return; }
  if (frame.op || !frame.topic) return;
  const last = state.lastSeq[frame.topic];
  if (last !== undefined && frame.seq <= last) return;
  state.lastSeq[frame.topic] = frame.seq;
  if (frame.topic === 'orders') return orderEvent(frame);
  if (frame.topic.startsWith('sku:') && frame.topic === 'sku:' + state.sku) { state.stock = frame.data; state.dirty.stock = state.dirty.map = true; return; }
  if (frame.topic.startsWith('node:')) {
    const nodeId = frame.topic.slice(5), node = state.nodes.get(nodeId);
    if (!node) return;
    if (frame.type === 'order.released' || frame.type === 'order.cancelled') return; // counted by the engine; polled
    if (frame.type === 'node.status') node.status = frame.data.status;
    else if (frame.data && frame.data.location) Object.assign(node, frame.data);
    state.dirty.map = state.dirty.capacity = true;
  }
}
function orderEvent(frame) {
  if (frame.type === 'orders.summary') {
    state.seen += frame.data.summarized;
    newRows.push({ text: frame.data.summarized + ' more events in that second (' + Object.entries(frame.data.counts).map((e) => e[0] + ' ' + e[1]).join(', ') + ')', at: frame.data.second, cls: 'summary' });
    return;
  }
  state.seen++;
  const d = frame.data || {};
  newRows.push({ at: frame.at, text: frame.type + '  ' + (d.orderId || '') + '  ' + (d.status || ''), orderId: d.orderId || '' });
  if (newRows.length > EVENT_ROWS_MAX) newRows.splice(0, newRows.length - EVENT_ROWS_MAX);
}

function draw() {
  const frames = state.queue; state.queue = [];
  for (const f of frames) apply(f);
  if (newRows.length) drawRows();
  if (state.dirty.map) drawMap();
  if (state.dirty.stock) drawStock();
  // Released counts change with every order in a sale: redrawn four times a second at most.
  if (state.dirty.capacity && performance.now() - capacityDrawnAt > 250) drawCapacity();
  if (state.dirty.soldOut) drawSoldOut();
  if (state.dirty.stats) { state.dirty.stats = false; drawRate(); drawLatency(); }
  requestAnimationFrame(draw);
}
function drawRows() {
  const list = $('events'), fragment = document.createDocumentFragment();
  for (const r of newRows.splice(0).slice(-EVENT_ROWS_MAX).reverse()) {
    const li = el('li', undefined, r.cls); li.dataset.orderId = r.orderId || '';
    li.append(el('span', String(r.at).slice(11, 19) + ' ', 't'), r.text);
    fragment.append(li);
  }
  list.prepend(fragment);
  while (list.children.length > EVENT_ROWS_MAX) list.lastChild.remove();
  $('event-count').textContent = state.seen + ' events';
}
/** Orders the node took today, as the engine counts them (its own local day). */
const ordersToday = (n) => (n.stats ? n.stats.ordersToday : 0);
/** Share of capacityPerDay taken today; undefined when the node has no cap. */
function capacityUse(n) {
  if (!(n.capacityPerDay > 0)) return undefined;
  return ordersToday(n) / n.capacityPerDay;
}
function useClass(use) { return use >= 1 ? 'full' : use >= 0.8 ? 'hot' : ''; }
const SVG = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs) { const e = document.createElementNS(SVG, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; }
function drawMap() {
  state.dirty.map = false;
  const svg = $('map'), nodes = [...state.nodes.values()].filter((n) => n.location);
  const stockBy = new Map(((state.stock && state.stock.nodes) || []).map((s) => [s.nodeId, s]));
  svg.replaceChildren();
  if (nodes.length === 0) { const t = svgEl('text', { x: 20, y: 30 }); t.textContent = 'no nodes yet'; svg.append(t); return; }
  const lats = nodes.map((n) => n.location.lat), lons = nodes.map((n) => n.location.lon);
  const minLat = Math.min(...lats) - 1, maxLat = Math.max(...lats) + 1, minLon = Math.min(...lons) - 1, maxLon = Math.max(...lons) + 1;
  // Room on the right for the labels.
  const scale = Math.min(500 / (maxLon - minLon), 300 / (maxLat - minLat));
  const x = (lon) => 20 + (lon - minLon) * scale + (500 - (maxLon - minLon) * scale) / 2;
  const y = (lat) => 20 + (maxLat - lat) * scale + (300 - (maxLat - minLat) * scale) / 2;
  const maxAvailable = Math.max(1, ...[...stockBy.values()].map((s) => s.available));
  const labelled = nodes.length <= 40;
  for (const n of nodes) {
    const s = stockBy.get(n.nodeId), cx = x(n.location.lon), cy = y(n.location.lat);
    const r = s ? 4 + 10 * Math.sqrt(s.available / maxAvailable) : 4;
    const c = svgEl('circle', {
      cx: cx.toFixed(1), cy: cy.toFixed(1), r: r.toFixed(1), 'data-node': n.nodeId,
      fill: n.status === 'online' ? '#4ade80' : n.status === 'paused' ? '#facc15' : '#f87171',
      'fill-opacity': s && s.available === 0 ? '0.35' : '0.85',
    });
    const use = capacityUse(n), title = document.createElementNS(SVG, 'title');
    title.textContent = (n.name || n.nodeId) + ' (' + n.type + ', ' + n.status + ')' + (s ? ' — ' + state.stock.sku + ': ' + s.available + ' available of ' + s.onHand : '')
      + (use !== undefined ? ' — orders today: ' + ordersToday(n) + ' of ' + n.capacityPerDay + '/day' : '');
    c.append(title); svg.append(c);
    if (!labelled) continue;
    const label = svgEl('text', { x: (cx + r + 3).toFixed(1), y: (cy + 3).toFixed(1) });
    label.textContent = n.nodeId; svg.append(label);
    if (use === undefined) continue;
    // Capacity use as a small bar under the label.
    svg.append(svgEl('rect', { x: (cx + r + 3).toFixed(1), y: (cy + 6).toFixed(1), width: 30, height: 3, fill: '#334155', 'data-capacity': n.nodeId }));
    svg.append(svgEl('rect', { x: (cx + r + 3).toFixed(1), y: (cy + 6).toFixed(1), width: (30 * Math.min(1, use)).toFixed(1), height: 3, fill: use >= 1 ? '#f87171' : use >= 0.8 ? '#facc15' : '#38bdf8' }));
  }
}
function bar(fraction, cls) {
  const outer = el('div', undefined, 'bar'), fill = el('div', undefined, cls);
  fill.style.width = (Math.max(0, Math.min(1, fraction)) * 100).toFixed(0) + '%';
  outer.append(fill); const td = el('td'); td.append(outer); return td;
}
function drawStock() {
  state.dirty.stock = false;
  const s = state.stock, body = $('stock').tBodies[0];
  if (!s) return;
  $('sku-total').textContent = s.error ? s.sku + ': ' + s.error : s.sku + ': ' + s.available + ' available across online nodes';
  const rows = s.nodes.slice().sort((a, b) => b.available - a.available).slice(0, STOCK_ROWS_MAX).map((p) => {
    const tr = row('td', [p.nodeId, p.onHand, p.reserved, p.available]);
    for (let i = 1; i < 4; i++) tr.children[i].className = 'n';
    tr.append(bar(p.onHand > 0 ? p.reserved / p.onHand : 0));
    return tr;
  });
  body.replaceChildren(...rows);
}
let capacityDrawnAt = 0;
function drawCapacity() {
  state.dirty.capacity = false; capacityDrawnAt = performance.now();
  state.dirty.map = true; // the map's bars show the same counts
  const nodes = [...state.nodes.values()].map((n) => ({ n, use: capacityUse(n), today: ordersToday(n) }));
  nodes.sort((a, b) => (b.use || 0) - (a.use || 0) || b.today - a.today || (a.n.nodeId < b.n.nodeId ? -1 : 1));
  const rows = nodes.slice(0, CAPACITY_ROWS_MAX).map(({ n, use, today }) => {
    const tr = row('td', [n.nodeId, today, n.capacityPerDay > 0 ? n.capacityPerDay : 'no cap']);
    tr.dataset.node = n.nodeId;
    tr.children[0].className = n.status; tr.children[1].className = tr.children[2].className = 'n';
    if (n.stats) tr.children[1].title = 'local day ' + n.stats.localDate;
    tr.append(use === undefined ? el('td') : bar(use, useClass(use)));
    return tr;
  });
  $('capacity-since').textContent = state.nodesAt ? 'updated ' + new Date(state.nodesAt).toLocaleTimeString() : '';
  $('capacity').tBodies[0].replaceChildren(...rows);
}
function drawSoldOut() {
  state.dirty.soldOut = false;
  const list = state.soldOut;
  const rows = list.skus.slice(0, SOLD_OUT_ROWS_MAX).map((s) => {
    const tr = row('td', [s.sku, s.onHand, s.reserved]);
    tr.children[0].dataset.sku = s.sku; tr.children[1].className = tr.children[2].className = 'n';
    return tr;
  });
  $('sold-out').tBodies[0].replaceChildren(...rows);
  $('sold-out-count').textContent = list.skus.length + (list.truncated ? '+' : '') + (list.skus.length === 1 ? ' SKU' : ' SKUs');
  const notes = [list.skus.length > 0 ? 'Nothing available on any online node. Click one to see its stock.' : 'No SKU is sold out right now.'];
  if (list.skus.length > SOLD_OUT_ROWS_MAX || list.truncated) notes.push('Showing the first ' + Math.min(SOLD_OUT_ROWS_MAX, list.skus.length) + (list.truncated ? ' (the server lists 200 at most).' : '.'));
  if (list.scanTruncated) notes.push('Only the first ' + list.scanned + ' SKUs were looked at.');
  $('sold-out-note').textContent = notes.join(' ');
}

// ---- charts, by hand on canvas: one point a second, the last minute ---------------------------
function canvas2d(canvas) {
  const ratio = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const g = canvas.getContext('2d'); g.setTransform(ratio, 0, 0, ratio, 0, 0); g.clearRect(0, 0, w, h);
  return { g, w, h };
}
/** 1, 2 or 5 times a power of ten, at or above v. */
function niceMax(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}
/** A series over the chart's width; null values leave a gap. */
function plot(c, values, max, color, fill) {
  const { g, w, h } = c, top = 14, bottom = h - 14, n = values.length;
  const px = (i) => 1 + (i / (n - 1)) * (w - 2), py = (v) => bottom - (v / max) * (bottom - top);
  g.beginPath();
  let open = false, first = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { open = false; return; }
    if (!open) { g.moveTo(px(i), py(v)); open = true; first = i; } else g.lineTo(px(i), py(v));
  });
  g.strokeStyle = color; g.lineWidth = 1.5; g.stroke();
  if (fill && values.every((v) => v !== null)) { g.lineTo(px(n - 1), bottom); g.lineTo(px(first), bottom); g.closePath(); g.fillStyle = fill; g.fill(); }
  // A second alone between gaps draws no line: a dot instead.
  g.fillStyle = color;
  values.forEach((v, i) => {
    const alone = v !== null && v !== undefined && (i === 0 || values[i - 1] === null) && (i === n - 1 || values[i + 1] === null);
    if (alone) { g.beginPath(); g.arc(px(i), py(v), 2.5, 0, 2 * Math.PI); g.fill(); }
  });
}
function axes(c, label) {
  const { g, w, h } = c;
  g.strokeStyle = '#334155'; g.lineWidth = 1; g.beginPath(); g.moveTo(0, h - 13.5); g.lineTo(w, h - 13.5); g.moveTo(0, 13.5); g.lineTo(w, 13.5); g.stroke();
  g.fillStyle = '#94a3b8'; g.font = '10px system-ui';
  g.fillText(label, 4, 10); g.fillText('−60 s', 2, h - 2);
  const now = 'now'; g.fillText(now, w - g.measureText(now).width - 2, h - 2);
}
function drawRate() {
  const s = state.stats, canvas = $('rate'), c = canvas2d(canvas), last = s.windowSeconds - 1;
  canvas.dataset.orders = String(s.ordersPerSecond.reduce((a, b) => a + b, 0));
  const max = niceMax(Math.max(1, ...s.ordersPerSecond, ...s.holdsPerSecond, ...s.refusedPerSecond));
  axes(c, max + '/s');
  plot(c, s.refusedPerSecond, max, '#f87171');
  plot(c, s.holdsPerSecond, max, '#64748b');
  plot(c, s.ordersPerSecond, max, '#38bdf8', 'rgba(56,189,248,0.15)');
  $('orders-now').textContent = s.ordersPerSecond[last] + ' /s';
  $('holds-now').textContent = String(s.holdsPerSecond[last]);
  $('refused-now').textContent = String(s.refusedPerSecond[last]);
}
function ms(v) { return v === null ? '–' : v >= 100 ? v.toFixed(0) + ' ms' : v >= 10 ? v.toFixed(1) + ' ms' : v.toFixed(2) + ' ms'; }
function drawLatency() {
  const s = state.stats, lat = s.holdLatencyMs, canvas = $('latency'), c = canvas2d(canvas);
  const p99s = lat.p99.filter((v) => v !== null);
  const max = niceMax(Math.max(1, ...p99s));
  axes(c, max + ' ms');
  // Each second's spread, p50 to p99, as a faint bar behind the lines.
  const { g, w, h } = c, n = lat.p50.length, px = (i) => 1 + (i / (n - 1)) * (w - 2), py = (v) => h - 14 - (v / max) * (h - 28);
  g.fillStyle = 'rgba(250,204,21,0.25)';
  for (let i = 0; i < n; i++) if (lat.p50[i] !== null) g.fillRect(px(i) - 2, py(lat.p99[i]), 4, Math.max(1, py(lat.p50[i]) - py(lat.p99[i])));
  plot(c, lat.p99, max, '#facc15');
  plot(c, lat.p50, max, '#38bdf8');
  canvas.dataset.seconds = String(p99s.length);
  // The newest second that had holds, and how long ago it was.
  let i = lat.count.length - 1; while (i >= 0 && lat.count[i] === 0) i--;
  $('latency-p50').textContent = i >= 0 ? ms(lat.p50[i]) : '–';
  $('latency-p99').textContent = i >= 0 ? ms(lat.p99[i]) : '–';
  $('latency-count').textContent = i < 0 ? 'no holds in the last minute' : lat.count[i] + ' in that second' + (i < lat.count.length - 1 ? ', ' + (lat.count.length - i) + ' s ago' : '');
}

if (state.token) signIn(state.token);
</script>
</body>
</html>
`;
