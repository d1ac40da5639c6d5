import { uWS } from '../gateway/uws.js';

// The reference point for the HTTP bench: a bare uWebSockets.js server that reads the body, parses
// the JSON and answers from memory, with no validation, no engine and no disk. What the engine
// adds on top of this is what it costs.

let held = 0;
const app = uWS.App();
app.post('/v1/reservations', (res) => {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const chunks: Buffer[] = [];
  res.onData((chunk, isLast) => {
    chunks.push(Buffer.from(new Uint8Array(chunk.slice(0))));
    if (!isLast || aborted) return;
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { lines: Array<{ qty: number }> };
    held += body.lines[0].qty;
    res.cork(() => res.writeStatus('201 Created').writeHeader('content-type', 'application/json').end(JSON.stringify({ status: 'held', held })));
  });
});
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) process.exit(1);
  console.log(JSON.stringify({ msg: 'listening', port: uWS.us_socket_local_port(socket as never) }));
});
process.on('SIGTERM', () => process.exit(0));
