// `GET /`: the operations dashboard, one self-contained page (no CDN, nothing fetched from the
// internet). It asks once for a viewer token (kept for the browser tab), then shows live: the
// nodes plotted by their coordinates with their status and the stock of a chosen SKU, orders per
// second over the last minute, the latest order events of the `orders` firehose, and an order
// search with the order's history. Frames are queued as they come and drawn once per animation
// frame; lists are capped, so a flash sale cannot make the page slow. It reconnects with `from`
// (stream resume) and reloads what a `resync` frame says it missed. Data goes into the page as
// text (textContent), never as HTML.

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
  #rate { width: 100%; height: 90px; display: block; }
  .big { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .dim { color: var(--dim); }
  .bar { height: 6px; background: var(--line); border-radius: 3px; overflow: hidden; min-width: 60px; }
  .bar > div { height: 100%; background: var(--accent); }
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
    <table id="stock"><thead><tr><th>node</th><th class="n">on hand</th><th class="n">reserved</th><th class="n">available</th><th>use</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2><span class="grow">Orders per second, last minute</span><span class="dim">holds <span id="holds-now">0</span>/s</span></h2>
    <div class="big" id="orders-now">0</div>
    <canvas id="rate"></canvas>
  </section>
  <section>
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
const EVENT_ROWS_MAX = 100, STOCK_ROWS_MAX = 50, NODE_TOPICS_MAX = 60, RATE_SECONDS = 60, QUEUE_MAX = 1000;
const state = {
  token: sessionStorage.getItem('oo-token') || '',
  nodes: new Map(), stock: null, sku: sessionStorage.getItem('oo-sku') || '',
  lastSeq: {}, queue: [], seen: 0, ws: null, retryMs: 500,
  rate: new Map(), dirty: { map: false, stock: false, rate: true },
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
  setInterval(() => loadNodes().catch(() => {}), 15000);
  requestAnimationFrame(draw);
}
$('login').onsubmit = (ev) => { ev.preventDefault(); const t = $('token').value.trim(); if (t) signIn(t); };
$('logout').onclick = () => { sessionStorage.removeItem('oo-token'); location.reload(); };

// ---- nodes, stock and orders over HTTP --------------------------------------------------------
async function loadNodes() {
  const { nodes } = await api('/v1/nodes');
  state.nodes = new Map(nodes.map((n) => [n.nodeId, n]));
  $('node-count').textContent = nodes.length + ' nodes';
  state.dirty.map = true;
  subscribeNodes();
}
async function loadStock(sku) {
  try { state.stock = await api('/v1/inventory/' + encodeURIComponent(sku)); }
  catch (e) { state.stock = { sku, available: 0, nodes: [], error: e.message }; }
  state.dirty.stock = state.dirty.map = true;
}
$('sku-form').onsubmit = (ev) => {
  ev.preventDefault();
  const sku = $('sku').value.trim(); if (!sku) return;
  if (state.sku && state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ op: 'unsubscribe', topics: ['sku:' + state.sku] }));
  state.sku = sku; sessionStorage.setItem('oo-sku', sku); delete state.lastSeq['sku:' + sku];
  loadStock(sku); subscribe(['sku:' + sku]);
};
async function showOrder(id) {
  const view = $('order-view'); view.replaceChildren(el('div', 'loading ' + id + '…', 'dim'));
  let order;
  try { order = await api('/v1/orders/' + encodeURIComponent(id)); }
  catch (e) { view.replaceChildren(el('div', id + ': ' + (e.status === 404 ? 'no such order' : e.message), 'offline')); return; }
  const head = el('div'); head.append(el('b', order.orderId), ' ', el('span', order.status, 'pill'));
  if (order.promise && order.promise.deliveryBy) head.append(' ', el('span', 'by ' + order.promise.deliveryBy.slice(0, 16).replace('T', ' '), 'dim'));
  const lines = el('table'); lines.append(row('th', ['sku', 'qty', 'node', 'status']));
  for (const l of order.lines || []) lines.append(row('td', [l.sku, l.qty, l.nodeId, l.status]));
  const history = el('table'); history.append(row('th', ['time', 'event']));
  for (const h of (order.history || []).slice(-30)) history.append(row('td', [String(h.at).slice(11, 23), h.type]));
  history.id = 'order-history';
  view.replaceChildren(head, lines, history);
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
    const node = state.nodes.get(frame.topic.slice(5));
    if (!node) return;
    if (frame.type === 'node.status') node.status = frame.data.status;
    else if (frame.data && frame.data.location) Object.assign(node, frame.data);
    state.dirty.map = true;
  }
}
function orderEvent(frame) {
  const second = Math.floor(Date.parse(frame.at) / 1000);
  if (frame.type === 'orders.summary') {
    const s = Math.floor(Date.parse(frame.data.second) / 1000);
    count(s, 'order.allocated', frame.data.counts['order.allocated'] || 0);
    count(s, 'reservation.held', frame.data.counts['reservation.held'] || 0);
    state.seen += frame.data.summarized;
    newRows.push({ text: frame.data.summarized + ' more events in that second (' + Object.entries(frame.data.counts).map((e) => e[0] + ' ' + e[1]).join(', ') + ')', at: frame.data.second, cls: 'summary' });
    return;
  }
  count(second, frame.type, 1);
  state.seen++;
  const d = frame.data || {};
  newRows.push({ at: frame.at, text: frame.type + '  ' + (d.orderId || '') + '  ' + (d.status || ''), orderId: d.orderId || '' });
  if (newRows.length > EVENT_ROWS_MAX) newRows.splice(0, newRows.length - EVENT_ROWS_MAX);
}
function count(second, type, n) {
  const key = type === 'order.allocated' ? 'orders' : type === 'reservation.held' ? 'holds' : '';
  if (!key || n === 0) return;
  const oldest = Math.floor(Date.now() / 1000) - RATE_SECONDS;
  if (second < oldest) return;
  if (state.rate.size > 2 * RATE_SECONDS) for (const s of state.rate.keys()) if (s < oldest) state.rate.delete(s);
  const bucket = state.rate.get(second) || { orders: 0, holds: 0 };
  bucket[key] += n; state.rate.set(second, bucket); state.dirty.rate = true;
}

function draw() {
  const frames = state.queue; state.queue = [];
  for (const f of frames) apply(f);
  if (newRows.length) drawRows();
  if (state.dirty.map) drawMap();
  if (state.dirty.stock) drawStock();
  drawRate();
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
const SVG = 'http://www.w3.org/2000/svg';
function drawMap() {
  state.dirty.map = false;
  const svg = $('map'), nodes = [...state.nodes.values()].filter((n) => n.location);
  const stockBy = new Map(((state.stock && state.stock.nodes) || []).map((s) => [s.nodeId, s]));
  svg.replaceChildren();
  if (nodes.length === 0) { const t = document.createElementNS(SVG, 'text'); t.setAttribute('x', 20); t.setAttribute('y', 30); t.textContent = 'no nodes yet'; svg.append(t); return; }
  const lats = nodes.map((n) => n.location.lat), lons = nodes.map((n) => n.location.lon);
  const minLat = Math.min(...lats) - 1, maxLat = Math.max(...lats) + 1, minLon = Math.min(...lons) - 1, maxLon = Math.max(...lons) + 1;
  // Room on the right for the labels.
  const scale = Math.min(500 / (maxLon - minLon), 300 / (maxLat - minLat));
  const x = (lon) => 20 + (lon - minLon) * scale + (500 - (maxLon - minLon) * scale) / 2;
  const y = (lat) => 20 + (maxLat - lat) * scale + (300 - (maxLat - minLat) * scale) / 2;
  const maxAvailable = Math.max(1, ...[...stockBy.values()].map((s) => s.available));
  for (const n of nodes) {
    const s = stockBy.get(n.nodeId);
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', x(n.location.lon).toFixed(1)); c.setAttribute('cy', y(n.location.lat).toFixed(1));
    const r = s ? 4 + 10 * Math.sqrt(s.available / maxAvailable) : 4;
    c.setAttribute('r', r.toFixed(1));
    c.setAttribute('fill', n.status === 'online' ? '#4ade80' : n.status === 'paused' ? '#facc15' : '#f87171');
    c.setAttribute('fill-opacity', s && s.available === 0 ? '0.35' : '0.85');
    c.setAttribute('data-node', n.nodeId);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = (n.name || n.nodeId) + ' (' + n.type + ', ' + n.status + ')' + (s ? ' — ' + state.stock.sku + ': ' + s.available + ' available of ' + s.onHand : '');
    c.append(title); svg.append(c);
    if (nodes.length <= 40) {
      const label = document.createElementNS(SVG, 'text');
      label.setAttribute('x', (x(n.location.lon) + r + 3).toFixed(1)); label.setAttribute('y', (y(n.location.lat) + 3).toFixed(1));
      label.textContent = n.nodeId; svg.append(label);
    }
  }
}
function drawStock() {
  state.dirty.stock = false;
  const s = state.stock, body = $('stock').tBodies[0];
  if (!s) return;
  $('sku-total').textContent = s.error ? s.sku + ': ' + s.error : s.sku + ': ' + s.available + ' available across online nodes';
  const rows = s.nodes.slice().sort((a, b) => b.available - a.available).slice(0, STOCK_ROWS_MAX).map((p) => {
    const tr = row('td', [p.nodeId, p.onHand, p.reserved, p.available]);
    for (let i = 1; i < 4; i++) tr.children[i].className = 'n';
    const bar = el('div', undefined, 'bar'), fill = el('div');
    fill.style.width = (p.onHand > 0 ? Math.min(100, 100 * p.reserved / p.onHand) : 0).toFixed(0) + '%';
    bar.append(fill); const td = el('td'); td.append(bar); tr.append(td);
    return tr;
  });
  body.replaceChildren(...rows);
}
let rateDrawnAt = 0;
function drawRate() {
  const nowSecond = Math.floor(Date.now() / 1000);
  if (!state.dirty.rate && nowSecond === rateDrawnAt) return;
  state.dirty.rate = false; rateDrawnAt = nowSecond;
  for (const s of state.rate.keys()) if (s < nowSecond - RATE_SECONDS) state.rate.delete(s);
  const canvas = $('rate'), ratio = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const g = canvas.getContext('2d'); g.setTransform(ratio, 0, 0, ratio, 0, 0); g.clearRect(0, 0, w, h);
  const series = (key) => Array.from({ length: RATE_SECONDS }, (_, i) => (state.rate.get(nowSecond - RATE_SECONDS + 1 + i) || { orders: 0, holds: 0 })[key]);
  const orders = series('orders'), holds = series('holds'), max = Math.max(1, ...orders, ...holds);
  const line = (values, color, fill) => {
    g.beginPath();
    values.forEach((v, i) => { const px = (i / (RATE_SECONDS - 1)) * (w - 2) + 1, py = h - 2 - (v / max) * (h - 8); if (i === 0) g.moveTo(px, py); else g.lineTo(px, py); });
    g.strokeStyle = color; g.lineWidth = 1.5; g.stroke();
    if (fill) { g.lineTo(w - 1, h); g.lineTo(1, h); g.closePath(); g.fillStyle = fill; g.fill(); }
  };
  line(holds, '#64748b');
  line(orders, '#38bdf8', 'rgba(56,189,248,0.15)');
  g.fillStyle = '#94a3b8'; g.font = '10px system-ui'; g.fillText(max + '/s', 4, 10);
  $('orders-now').textContent = orders[RATE_SECONDS - 2] + ' /s';
  $('holds-now').textContent = String(holds[RATE_SECONDS - 2]);
}

if (state.token) signIn(state.token);
</script>
</body>
</html>
`;
