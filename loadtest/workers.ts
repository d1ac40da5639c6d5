import { fork, type ChildProcess } from 'node:child_process';
import { builtWorker } from './paths.js';
import { prepareWorker, type PreparedWorker, type WorkerResult, type WorkerTask } from './session.js';
import type { Tick } from './stats.js';

// Running the workers: one in this process (--workers 1), or W forked processes (worker.ts), each
// with its share of the rate and its own histograms. Both look the same to the caller: prepare
// all, start all at one time, get ticks as they come and every worker's result at the end.

export type ToWorker = { type: 'prepare'; task: WorkerTask } | { type: 'start'; startAtMs: number } | { type: 'stop' };
export type FromWorker = { type: 'ready' } | { type: 'tick'; tick: Tick } | { type: 'done'; result: WorkerResult } | { type: 'error'; message: string };

export interface WorkerGroup {
  run(startAtMs: number, onTick: (tick: Tick) => void): Promise<WorkerResult[]>;
  /** Ends the sending early (Ctrl-C): what is in flight is still answered and reported. */
  stop(): void;
  /** Kills forked workers that are still alive (after a failure). */
  kill(): void;
}

export async function prepareWorkers(tasks: readonly WorkerTask[]): Promise<WorkerGroup> {
  if (tasks.length === 1) return inProcess(await prepareWorker(tasks[0]));
  const children = tasks.map((task) => forkWorker(task));
  try {
    await Promise.all(children.map((child) => child.ready));
  } catch (error) {
    for (const child of children) child.process.kill('SIGKILL');
    throw error;
  }
  return {
    run: (startAtMs, onTick) => Promise.all(children.map((child) => child.run(startAtMs, onTick))),
    stop: () => children.forEach((child) => child.send({ type: 'stop' })),
    kill: () => children.forEach((child) => child.process.exitCode === null && child.process.kill('SIGKILL')),
  };
}

function inProcess(worker: PreparedWorker): WorkerGroup {
  let stopped = false;
  return {
    run: async (startAtMs, onTick) => [await worker.run(startAtMs, onTick, () => stopped)],
    stop: () => {
      stopped = true;
    },
    kill: () => {},
  };
}

interface ForkedWorker {
  process: ChildProcess;
  ready: Promise<void>;
  send(message: ToWorker): void;
  run(startAtMs: number, onTick: (tick: Tick) => void): Promise<WorkerResult>;
}

function forkWorker(task: WorkerTask): ForkedWorker {
  const child = fork(builtWorker, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onTick: (tick: Tick) => void = () => {};
  let settle: { resolve(result: WorkerResult): void; reject(error: Error): void } | undefined;
  let readyResolve!: () => void;
  let readyReject!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  const fail = (error: Error): void => {
    readyReject(error);
    settle?.reject(error);
  };
  child.on('message', (message: FromWorker) => {
    if (message.type === 'ready') readyResolve();
    else if (message.type === 'tick') onTick(message.tick);
    else if (message.type === 'done') settle?.resolve(message.result);
    else fail(new Error(`worker ${task.workerIndex}: ${message.message}`));
  });
  child.on('exit', (code, signal) => fail(new Error(`worker ${task.workerIndex} exited (${signal ?? code}) before its result`)));
  child.on('error', fail);
  const send = (message: ToWorker): void => {
    if (child.connected) child.send(message);
  };
  send({ type: 'prepare', task });
  return {
    process: child,
    ready,
    send,
    run: (startAtMs, tickHandler) =>
      new Promise<WorkerResult>((resolve, reject) => {
        onTick = tickHandler;
        settle = { resolve, reject };
        send({ type: 'start', startAtMs });
      }),
  };
}
