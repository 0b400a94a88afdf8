import type { Logger } from '../../log.js';
import { invokeTask, type InvokeResult } from '../invoke.js';
import { softLimitError, softLimitWarning, type Pool, type RunRequest } from './pool.js';

/**
 * solo (size 1) and async (size N): tasks run in the worker's own event loop.
 * Cheap and fast for I/O-bound work; nothing can be killed, so hard time
 * limits act as soft ones (the worker warns at start-up).
 */
export class InProcessPool implements Pool {
  readonly canKill = false;

  constructor(
    readonly name: 'solo' | 'async',
    public size: number,
    private readonly hostname: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {}

  async resize(size: number): Promise<number> {
    // solo means one at a time, by definition
    if (this.name === 'async') this.size = Math.max(1, size);
    return this.size;
  }

  async run(request: RunRequest): Promise<InvokeResult> {
    const { cancel } = request;
    const limitMs = Math.min(request.softLimitMs ?? Infinity, request.hardLimitMs ?? Infinity);
    const timer = Number.isFinite(limitMs) ? setTimeout(() => this.softLimitPassed(request, limitMs / 1000), limitMs) : undefined;
    try {
      return await invokeTask(request.entry.task, request.message, {
        worker: this.hostname,
        cancel,
        log: this.log,
        onProgress: request.onProgress,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private softLimitPassed(request: RunRequest, seconds: number): void {
    this.log.warn(softLimitWarning(request.message, seconds));
    request.cancel.abort(softLimitError(seconds));
  }

  kill(): boolean {
    return false;
  }

  async close(): Promise<void> {}
}
