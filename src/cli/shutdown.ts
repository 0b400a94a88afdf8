import type { Logger } from '../runtime/log.js';
import type { Worker } from '../runtime/worker/worker.js';

/**
 * First SIGINT/SIGTERM: warm shutdown (take nothing new, hand back the
 * prefetched, finish what runs). A second signal, or the soft timeout, goes
 * cold: every held message is handed back and the worker stops at once.
 * `done` resolves when the worker has stopped, saying how; `request` starts the
 * same sequence without a signal (the `shutdown` control command).
 */
export function handleShutdownSignals(worker: Worker, log: Logger, softTimeoutSeconds?: number): { done: Promise<'warm' | 'cold'>; request(reason: string): void } {
  let request: (reason: string) => void = () => undefined;
  const done = new Promise<'warm' | 'cold'>((resolve) => {
    let signals = 0;
    const cold = (why: string) => {
      log.warn(`${why}: cold shutdown, handing running tasks back`);
      void worker.stopNow().then((n) => {
        log.warn(`handed back ${n} task(s)`);
        resolve('cold');
      });
    };
    const onSignal = (name: string) => {
      signals++;
      if (signals > 1) return cold(`${name} received again`);
      log.info(`${name} received: warm shutdown (finishing ${worker.active.size} running task(s), handing back ${worker.buffer.length} reserved; send again to stop now)`);
      if (softTimeoutSeconds !== undefined) setTimeout(() => cold(`soft shutdown timeout (${softTimeoutSeconds}s) passed`), softTimeoutSeconds * 1000).unref();
      void worker.stop().then(() => resolve('warm'));
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    request = onSignal;
  });
  return { done, request: (reason) => request(reason) };
}
