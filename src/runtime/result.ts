import type { Stores } from './brokers/index.js';
import { revokeTasks } from './revoke.js';
import { TaskFailedError, TqError, type SerializedError } from './errors.js';
import { isFinal, type ResultRecord, type TaskState } from './states.js';

export interface GetOptions {
  /** Milliseconds to wait for a final state; default: wait forever. */
  timeout?: number;
  signal?: AbortSignal;
}

/**
 * A handle on one task id, as returned by `delay()`/`applyAsync()`.
 * `result`/`error`/`record` hold what was last read from the backend;
 * `parent` and `children`, read from that record, rebuild a workflow from
 * any of its ids.
 */
export class AsyncResult<R = unknown> {
  record: ResultRecord | null = null;

  constructor(
    readonly id: string,
    private readonly stores: Stores,
    /** Every id of the workflow this handle ends (a chain, a chord): revoke() revokes them all. */
    private readonly workflow?: readonly string[],
  ) {}

  /** The task that sent this one (a chain's previous step), as last read; null for a first call or before a read. */
  get parent(): AsyncResult | null {
    const id = this.record?.parentId;
    return id ? new AsyncResult(id, this.stores) : null;
  }

  /** What this task sent once it finished (the next chain step, callbacks), as last read. */
  get children(): AsyncResult[] {
    return (this.record?.children ?? []).map((id) => new AsyncResult(id, this.stores));
  }

  /** The current state; 'UNKNOWN' when the backend never saw this id (or its result expired). */
  async state(): Promise<TaskState | 'UNKNOWN'> {
    this.record = await this.stores.backend.getResult(this.id);
    return this.record?.state ?? 'UNKNOWN';
  }

  /**
   * Revokes this task (see `revokeTasks`): it will not run; with `terminate`,
   * a running one is ended. The handle of a chain or chord revokes every step
   * of it that has not started.
   */
  async revoke(options: { terminate?: boolean } = {}): Promise<void> {
    await revokeTasks(this.stores, [...new Set([this.id, ...(this.workflow ?? [])])], options);
  }

  async ready(): Promise<boolean> {
    const state = await this.state();
    return state !== 'UNKNOWN' && isFinal(state);
  }

  /** The return value, once read with `get()` or `state()`. */
  get result(): R | undefined {
    return this.record?.state === 'SUCCESS' ? (this.record.result as R) : undefined;
  }

  get error(): SerializedError | undefined {
    return this.record?.error;
  }

  /**
   * Waits for the task to finish and returns its value. Throws `TaskFailedError`
   * on FAILURE or REVOKED, and TqError('TIMEOUT') when `timeout` passes first.
   */
  async get(options: GetOptions = {}): Promise<R> {
    const timeout = options.timeout ?? Number.MAX_SAFE_INTEGER;
    const started = Date.now();
    let record: ResultRecord | null = null;
    // waitForResult returns early on a long wait cap in some brokers; loop until our own deadline.
    for (;;) {
      const left = timeout - (Date.now() - started);
      record = await this.stores.backend.waitForResult(this.id, Math.max(0, Math.min(left, 2 ** 31 - 1)), options.signal);
      if ((record && isFinal(record.state)) || left <= 0 || options.signal?.aborted) break;
    }
    this.record = record;
    if (!record || !isFinal(record.state)) {
      throw new TqError('TIMEOUT', `task ${this.id} did not finish within ${timeout} ms (state ${record?.state ?? 'UNKNOWN'})`);
    }
    if (record.state === 'SUCCESS') return record.result as R;
    throw new TaskFailedError(this.id, record.error ?? { name: record.state, message: `task ended ${record.state}` });
  }
}
