// `GET /`: the operations dashboard. A first, self-contained page (no CDN, nothing fetched from
// the internet): it asks for a viewer token, then lists nodes and the live order events.

export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Order orchestration</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #0f172a; color: #e2e8f0; }
  header { padding: 12px 20px; background: #1e293b; display: flex; gap: 12px; align-items: center; }
  h1 { font-size: 16px; margin: 0; flex: 1; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 16px 20px; }
  section { background: #1e293b; border-radius: 8px; padding: 12px; min-height: 200px; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #94a3b8; margin: 0 0 8px; }
  table { width: 100%; border-collapse: collapse; } td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #334155; }
  #events li { font-family: ui-monospace, monospace; font-size: 12px; list-style: none; padding: 2px 0; }
  #events { margin: 0; padding: 0; max-height: 60vh; overflow: auto; }
  input, button { font: inherit; padding: 4px 8px; border-radius: 4px; border: 1px solid #475569; background: #0f172a; color: inherit; }
  .online { color: #4ade80; } .paused { color: #facc15; } .offline { color: #f87171; }
</style>
</head>
<body>
<header><h1>Order orchestration</h1>
  <form id="login"><input id="token" type="password" placeholder="viewer token" autocomplete="off"><button>Connect</button></form>
  <span id="state">disconnected</span></header>
<main>
  <section><h2>Nodes</h2><table id="nodes"><thead><tr><th>node</th><th>type</th><th>status</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Order events</h2><ul id="events"></ul></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('oo-token') || '';
async function loadNodes() {
  const res = await fetch('/v1/nodes', { headers: { authorization: 'Bearer ' + token } });
  if (!res.ok) { $('state').textContent = 'token refused (' + res.status + ')'; return false; }
  const { nodes } = await res.json();
  $('nodes').tBodies[0].innerHTML = nodes.map((n) => '<tr><td>' + n.nodeId + '</td><td>' + n.type + '</td><td class="' + n.status + '">' + n.status + '</td></tr>').join('');
  return true;
}
function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/stream?token=' + encodeURIComponent(token));
  ws.onopen = () => { $('state').textContent = 'live'; ws.send(JSON.stringify({ op: 'subscribe', topics: ['orders'] })); };
  ws.onclose = () => { $('state').textContent = 'disconnected'; setTimeout(connect, 2000); };
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (!e.topic) return;
    const li = document.createElement('li');
    li.textContent = e.at.slice(11, 19) + ' ' + e.type + ' ' + (e.data && e.data.orderId || '') + ' ' + (e.data && e.data.status || '');
    li.dataset.orderId = e.data && e.data.orderId || '';
    $('events').prepend(li);
    while ($('events').children.length > 200) $('events').lastChild.remove();
  };
}
$('login').onsubmit = async (ev) => { ev.preventDefault(); token = $('token').value.trim(); sessionStorage.setItem('oo-token', token); if (await loadNodes()) connect(); };
if (token) loadNodes().then((ok) => ok && connect());
</script>
</body>
</html>
`;
