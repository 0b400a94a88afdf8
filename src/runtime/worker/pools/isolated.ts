import type { Logger } from '../../log.js';
import type { InvokeResult } from '../invoke.js';
import { spawnExecutor, type ExecutorHandle } from './executor-handle.js';
import { hardLimitResult, type Pool, type RunRequest } from './pool.js';
import type { ExecutorSetup, FromExecutor } from './protocol.js';

export interface IsolatedPoolOptions {
  kind: 'threads' | 'prefork';
  size: number;
  setup: ExecutorSetup;
  log: Logger;
  /** Replace an executor after this many tasks (leaky libraries). */
  maxTasksPerChild?: number;
  /** Replace an executor whose resident memory passed this many KiB after a task. */
  maxMemoryPerChildKb?: number;
}

interface Job {
  taskId: string;
  resolve(result: InvokeResult): void;
  request: RunRequest;
  hardTimer?: NodeJS.Timeout;
}

/**
 * Slot: one executor, ready or starting, idle or running one job.
 * States: starting → idle ⇄ busy → ended (killed, crashed, recycled, closed).
 * An ended executor is replaced at once unless the pool is closing; its job,
 * if any, ends as WorkerLostError or TimeLimitExceeded.
 */
interface Slot {
  handle: ExecutorHandle;
  ready: Promise<void>;
  job?: Job;
  tasksRun: number;
  /** Why we ended it ourselves, so the exit handler reports the right error. */
  endedBecause?: InvokeResult;
}

/** threads and prefork: each task runs in its own thread or child, which can be ended and replaced. */
export class IsolatedPool implements Pool {
  readonly canKill = true;
  readonly name: string;
  size: number;
  private slots: Slot[] = [];
  private closing = false;

  constructor(private readonly options: IsolatedPoolOptions) {
    this.name = options.kind;
    this.size = options.size;
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
    await Promise.all(this.slots.map((s) => s.ready));
  }

  async run(request: RunRequest): Promise<InvokeResult> {
    const slot = this.slots.find((s) => !s.job);
    if (!slot) throw new Error(`pool ${this.name} has no free executor (bug: more than ${this.size} tasks at once)`);
    const taskId = request.message.id;
    return new Promise<InvokeResult>((resolve) => {
      const job: Job = { taskId, resolve, request };
      slot.job = job;
      void slot.ready.then(() => {
        if (slot.job !== job) return;
        slot.handle.send({ type: 'run', message: request.message, softLimitMs: request.softLimitMs });
        if (request.hardLimitMs) job.hardTimer = setTimeout(() => this.end(slot, hardLimitResult(request.hardLimitMs!)), request.hardLimitMs);
      });
      request.cancel.onAbort((reason) => slot.job === job && slot.handle.send({ type: 'abort', taskId, reason: String(reason) }));
    });
  }

  async resize(size: number): Promise<number> {
    const target = Math.max(1, size);
    const added: Slot[] = [];
    while (this.slots.length < target) {
      const slot = this.spawn();
      this.slots.push(slot);
      added.push(slot);
    }
    // Only idle executors are ended when shrinking; a busy pool shrinks less.
    for (let i = this.slots.length - 1; i >= 0 && this.slots.length > target; i--) {
      const slot = this.slots[i]!;
      if (slot.job) continue;
      this.slots.splice(i, 1);
      slot.handle.kill();
    }
    await Promise.all(added.map((s) => s.ready));
    this.size = this.slots.length;
    return this.size;
  }

  kill(taskId: string, reason: string): boolean {
    const slot = this.slots.find((s) => s.job?.taskId === taskId);
    if (!slot) return false;
    this.end(slot, { ok: false, error: { name: 'Terminated', message: reason } });
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const slot of this.slots) slot.handle.kill();
  }

  private spawn(): Slot {
    const handle = spawnExecutor(this.options.kind, this.options.setup, (line, stream) => this.options.log.raw(line, stream === 'stderr' ? 'warn' : 'info'));
    let markReady!: () => void;
    const slot: Slot = { handle, ready: new Promise((r) => (markReady = r)), tasksRun: 0 };
    handle.onMessage((message: FromExecutor) => this.onMessage(slot, message, markReady));
    handle.onExit((reason) => this.onExit(slot, reason));
    return slot;
  }

  private onMessage(slot: Slot, message: FromExecutor, markReady: () => void): void {
    switch (message.type) {
      case 'ready':
        return markReady();
      case 'failed-to-start':
        this.options.log.error(`${this.name} executor could not load tasks: ${message.error}`);
        return;
      case 'progress':
        if (slot.job?.taskId === message.taskId) slot.job.request.onProgress(message.fraction, message.note);
        return;
      case 'result': {
        const job = slot.job;
        if (!job || job.taskId !== message.taskId) return;
        this.settle(slot, message.result);
        slot.tasksRun++;
        const { maxTasksPerChild, maxMemoryPerChildKb } = this.options;
        const tooMany = maxTasksPerChild !== undefined && slot.tasksRun >= maxTasksPerChild;
        const tooBig = maxMemoryPerChildKb !== undefined && message.rssBytes / 1024 > maxMemoryPerChildKb;
        if (tooMany || tooBig) this.recycle(slot, tooMany ? `after ${slot.tasksRun} tasks` : `at ${Math.round(message.rssBytes / 1048576)} MiB`);
        return;
      }
    }
  }

  private onExit(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    if (slot.job) this.settle(slot, slot.endedBecause ?? { ok: false, error: { name: 'WorkerLostError', message: `${reason} while running the task` } });
    if (this.closing) return;
    if (!slot.endedBecause) this.options.log.warn(`${this.name} executor ended unexpectedly (${reason}); replacing it`);
    this.slots[index] = this.spawn();
  }

  /** Ends an executor by force; onExit then reports `result` for its job and replaces it. */
  private end(slot: Slot, result: InvokeResult): void {
    slot.endedBecause = result;
    slot.handle.kill();
  }

  /** Swaps an idle executor for a fresh one at once, so no task is handed to the one on its way out. */
  private recycle(slot: Slot, why: string): void {
    this.options.log.info(`recycling ${this.name} executor ${why}`);
    const index = this.slots.indexOf(slot);
    if (index !== -1 && !this.closing) this.slots[index] = this.spawn();
    slot.handle.kill();
  }

  private settle(slot: Slot, result: InvokeResult): void {
    const job = slot.job;
    if (!job) return;
    clearTimeout(job.hardTimer);
    slot.job = undefined;
    job.resolve(result);
  }
}
