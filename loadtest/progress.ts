import cliProgress from 'cli-progress';
import type { LiveView } from './aggregate.js';

// The live bar while a run goes: time, answers per second against the target, p50/p99 so far,
// requests in flight, dropped, and the non-2xx outcomes by code. Off when stdout is not a
// terminal (CI), unless asked for.

export class ProgressView {
  private readonly bar: cliProgress.SingleBar | undefined;

  constructor(enabled: boolean, private readonly totalSeconds: number, private readonly target: string) {
    if (!enabled) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: '{bar} {elapsed}/{total}s | {rate}/s (target {target}) | p50 {p50} p99 {p99} ms | in flight {inFlight} | dropped {dropped} | {errors}',
        barsize: 20,
        hideCursor: true,
        clearOnComplete: false,
        stream: process.stdout,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.ceil(totalSeconds), 0, this.payload(undefined));
  }

  private payload(view: LiveView | undefined): Record<string, string | number> {
    const errors = view?.errors.slice(0, 3).map(([label, count]) => `${label} ${count}`).join(', ') ?? '';
    return {
      elapsed: view ? Math.floor(view.elapsedSeconds) : 0,
      rate: view?.rate ?? 0,
      target: this.target,
      p50: view ? view.p50Ms.toFixed(1) : '-',
      p99: view ? view.p99Ms.toFixed(1) : '-',
      inFlight: view?.inFlight ?? 0,
      dropped: view?.dropped ?? 0,
      errors: (errors || 'no errors') + (view && view.streamEventsPerSecond > 0 ? ` | stream ${view.streamEventsPerSecond} ev/s` : ''),
    };
  }

  update(view: LiveView): void {
    this.bar?.update(Math.min(Math.ceil(this.totalSeconds), Math.floor(view.elapsedSeconds)), this.payload(view));
  }

  stop(): void {
    this.bar?.stop();
  }
}
