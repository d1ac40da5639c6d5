import { prepareWorker, type PreparedWorker } from './session.js';
import type { FromWorker, ToWorker } from './workers.js';

// A forked load worker (see workers.ts): prepare on `prepare`, run on `start`, report ticks and
// the result over IPC, then exit.

let prepared: PreparedWorker | undefined;
let stopped = false;

const send = (message: FromWorker): Promise<void> => new Promise((done) => process.send!(message, undefined, {}, () => done()));

async function onMessage(message: ToWorker): Promise<void> {
  if (message.type === 'prepare') {
    prepared = await prepareWorker(message.task);
    await send({ type: 'ready' });
  } else if (message.type === 'start') {
    if (!prepared) throw new Error('start before prepare');
    const result = await prepared.run(message.startAtMs, (tick) => void send({ type: 'tick', tick }), () => stopped);
    await send({ type: 'done', result });
    process.disconnect();
  } else {
    stopped = true;
  }
}

process.on('message', (message: ToWorker) => {
  onMessage(message).catch(async (error: unknown) => {
    await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
});
// The parent owns Ctrl-C: it tells the workers to stop.
process.on('SIGINT', () => {});
