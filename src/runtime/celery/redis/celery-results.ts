import type { Redis } from 'ioredis';
import { readOrWait, type ChannelWaiter } from '../../brokers/redis/channel-waiter.js';
import { isFinal, type ResultRecord } from '../../states.js';
import { celeryMetaOf, recordOfMeta, TASK_META_PREFIX } from '../results.js';
import type { KombuScripts } from './scripts.js';

/**
 * Task results in Celery's Redis result backend (celery/backends/redis.py):
 * `celery-task-meta-<id>` holding the meta JSON, published on the channel of
 * the same name whenever it is written. Key names take no prefix, as
 * Celery's (its backend ignores global_keyprefix).
 */
export class CeleryRedisResults {
  constructor(
    private readonly redis: Redis,
    private readonly scripts: KombuScripts,
    private readonly channels: ChannelWaiter,
    private readonly expiresMs: number,
  ) {}

  async getResult(id: string): Promise<ResultRecord | null> {
    const text = await this.redis.get(TASK_META_PREFIX + id);
    return text === null ? null : recordOfMeta(id, text);
  }

  waitForResult(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ResultRecord | null> {
    return readOrWait(this.channels, TASK_META_PREFIX + id, timeoutMs, () => this.getResult(id), (r) => r !== null && isFinal(r.state), signal);
  }

  async storeResult(record: ResultRecord): Promise<boolean> {
    return (await this.write(record, false)) === 1;
  }

  /** PENDING where there is no meta yet (Celery itself writes none: an absent key reads as PENDING there). */
  async markPending(records: readonly ResultRecord[]): Promise<string[]> {
    const replies = await Promise.all(records.map((r) => this.write(r, true)));
    return records.filter((_, i) => replies[i] === 0).map((r) => r.id);
  }

  async forgetResults(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.del(...ids.map((id) => TASK_META_PREFIX + id));
  }

  private write(record: ResultRecord, onlyIfAbsent: boolean): Promise<number> {
    return this.scripts['store-meta']([TASK_META_PREFIX + record.id], [JSON.stringify(celeryMetaOf(record)), this.expiresMs, onlyIfAbsent ? '1' : '0']);
  }
}
