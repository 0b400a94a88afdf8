import type { Stores } from '../brokers/index.js';
import { TaskFailedError, TqError } from '../errors.js';
import type { GetOptions } from '../result.js';
import { AsyncResult } from '../result.js';
import { revokeTasks } from '../revoke.js';
import { isFinal } from '../states.js';

/**
 * The handle of a group: its members' results in the group's order. Rebuilt
 * from the group's id with `GroupResult.restore` (the member ids are recorded
 * in the backend when the group is sent, kept as long as results).
 */
export class GroupResult {
  constructor(
    readonly id: string,
    readonly results: AsyncResult[],
    private readonly stores: Stores,
    /** Every id of the workflow this group ends, for revoke. */
    private readonly workflow: readonly string[] = [],
  ) {}

  static async restore(stores: Stores, id: string): Promise<GroupResult | null> {
    const raw = await stores.backend.getMeta(`group:${id}`);
    if (raw === null) return null;
    const { members } = JSON.parse(raw) as { members: string[] };
    return new GroupResult(id, members.map((m) => new AsyncResult(m, stores)), stores);
  }

  /** Every member's value, in the group's order; throws the first failure (TaskFailedError) or TIMEOUT. */
  async get(options: GetOptions = {}): Promise<unknown[]> {
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    const values: unknown[] = [];
    for (const r of this.results) {
      const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      try {
        values.push(await r.get({ ...options, timeout: left }));
      } catch (err) {
        if (err instanceof TaskFailedError) throw err;
        if (err instanceof TqError && err.code === 'TIMEOUT') throw new TqError('TIMEOUT', `group ${this.id} did not finish within ${options.timeout} ms (${await this.completedCount()} of ${this.results.length} done)`);
        throw err;
      }
    }
    return values;
  }

  /** How many members succeeded. */
  async completedCount(): Promise<number> {
    return (await this.states()).filter((s) => s === 'SUCCESS').length;
  }

  /** Whether every member has a final state. */
  async ready(): Promise<boolean> {
    return (await this.states()).every((s) => s !== 'UNKNOWN' && isFinal(s));
  }

  /** Whether every member succeeded. */
  async successful(): Promise<boolean> {
    return (await this.states()).every((s) => s === 'SUCCESS');
  }

  /** Revokes every member (and the rest of the workflow) not started; with `terminate`, ends running ones. */
  async revoke(options: { terminate?: boolean } = {}): Promise<void> {
    await revokeTasks(this.stores, [...new Set([...this.results.map((r) => r.id), ...this.workflow])], options);
  }

  private states() {
    return Promise.all(this.results.map((r) => r.state()));
  }
}
