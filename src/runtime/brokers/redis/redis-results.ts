import type { Redis } from 'ioredis';
import { isFinal, type ResultRecord } from '../../states.js';
import { readOrWait, type ChannelWaiter } from './channel-waiter.js';
import { decodeState } from './replies.js';
import type { Scripts } from './scripts.js';

/**
 * The Redis store's results, meta values and rate-limit slots (Backend
 * verbs). Keys (under the prefix): r:{id} (a record, JSON, with a TTL),
 * meta:{key}, known-queues (a set: queue names a broker that cannot list
 * its queues registers here); channel done:{id} wakes waiters when a final
 * record lands.
 * store-result.lua keeps a final record first-wins.
 */
export class RedisResults {
  constructor(
    private readonly redis: Redis,
    private readonly scripts: Scripts,
    private readonly prefix: string,
    private readonly channels: ChannelWaiter,
    private readonly expiresMs: number,
  ) {}

  /** The stored record; else, while its message is in this store (it is also the broker), PENDING or STARTED. */
  async getResult(id: string): Promise<ResultRecord | null> {
    return decodeState(id, await this.scripts['get-state']([this.prefix, id]));
  }

  async waitForResult(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ResultRecord | null> {
    const final = (record: ResultRecord | null) => !!record && isFinal(record.state);
    return readOrWait(this.channels, `${this.prefix}done:${id}`, timeoutMs, () => this.getResult(id), final, signal);
  }

  async storeResult(record: ResultRecord): Promise<boolean> {
    return (await this.scripts['store-result']([this.prefix, record.id, JSON.stringify(record), this.expiresMs, isFinal(record.state) ? '1' : '0'])) === 1;
  }

  async markPending(records: readonly ResultRecord[]): Promise<string[]> {
    if (records.length === 0) return [];
    return this.scripts['mark-pending']([this.prefix, this.expiresMs, ...records.flatMap((r) => [r.id, JSON.stringify(r)])]);
  }

  async forgetResults(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.del(...ids.map((id) => `${this.prefix}r:${id}`));
  }

  async acquireRateSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<{ granted: boolean; waitMs: number }> {
    const [granted, waitMs] = await this.scripts['rate-slot']([this.prefix, key, Math.ceil(intervalMs), Math.floor(maxWaitMs)]);
    return { granted: granted === 1, waitMs };
  }

  async getMeta(key: string): Promise<string | null> {
    return this.redis.get(this.metaKey(key));
  }

  async setMeta(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.redis.set(this.metaKey(key), value);
    else await this.redis.set(this.metaKey(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async claimMeta(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.metaKey(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async deleteMeta(key: string): Promise<void> {
    await this.redis.del(this.metaKey(key));
  }

  async registerQueues(names: readonly string[]): Promise<void> {
    if (names.length > 0) await this.redis.sadd(`${this.prefix}known-queues`, ...names);
  }

  async knownQueues(): Promise<string[]> {
    return (await this.redis.smembers(`${this.prefix}known-queues`)).sort();
  }

  private metaKey(key: string): string {
    return `${this.prefix}meta:${key}`;
  }
}
