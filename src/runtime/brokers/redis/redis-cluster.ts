import type { Redis } from 'ioredis';
import type { ControlReply, ControlRequest, DeadLetter, StoredEvent, TqEvent, WorkerHeartbeat } from '../../cluster.js';
import { EVENT_STREAM_CAP } from '../../cluster.js';
import { BODY_PREVIEW_BYTES, bodyPreview, type ScheduledMessage } from '../broker.js';
import type { ClusterVerbs } from '../backend.js';
import { readOrWait, type ChannelWaiter } from './channel-waiter.js';
import type { Scripts } from './scripts.js';
import { decodeEvents, encodeEvents } from '../event-codec.js';

/** Stream entries per XRANGE when reading events; each entry is a batch of up to 500. */
const EVENT_ENTRIES_PER_READ = 20;
/** Control requests and replies kept this long. */
const CONTROL_KEEP_MS = 10 * 60_000;
/** Heartbeats of workers gone this long are forgotten. */
const HEARTBEAT_KEEP_MS = 24 * 60 * 60_000;

/**
 * The cluster verbs of the Redis broker, apart from the queue verbs they never
 * touch on the per-task path. Keys (under the prefix):
 *   heartbeats               hash: hostname → latest heartbeat JSON
 *   control                  stream: control requests (trimmed to 10 minutes)
 *   replies:{requestId}      hash: hostname → reply JSON (expires in 10 minutes)
 *   revoked                  zset: id, score = when to forget it (ms)
 *   events                   stream: one entry per batch of events (a JSON array), capped at EVENT_STREAM_CAP entries
 * Readers that wait sleep on a pub/sub channel of the same name, never poll.
 */
export class RedisCluster implements ClusterVerbs {
  constructor(
    private readonly redis: Redis,
    private readonly scripts: Scripts,
    private readonly prefix: string,
    private readonly channels: ChannelWaiter,
    private readonly resultExpiresMs: number,
  ) {}

  async recordHeartbeat(hb: WorkerHeartbeat): Promise<void> {
    await this.redis.hset(this.key('heartbeats'), hb.hostname, JSON.stringify(hb));
  }

  async listHeartbeats(): Promise<WorkerHeartbeat[]> {
    const all = Object.values(await this.redis.hgetall(this.key('heartbeats'))).map((b) => JSON.parse(b) as WorkerHeartbeat);
    const oldest = Date.now() - HEARTBEAT_KEEP_MS;
    const gone = all.filter((hb) => Date.parse(hb.sentAt) <= oldest).map((hb) => hb.hostname);
    if (gone.length > 0) await this.redis.hdel(this.key('heartbeats'), ...gone);
    return all.filter((hb) => Date.parse(hb.sentAt) > oldest).sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  async publishControl(request: ControlRequest): Promise<void> {
    const key = this.key('control');
    await this.redis.xadd(key, 'MINID', '~', String(Date.now() - CONTROL_KEEP_MS), '*', 'r', JSON.stringify(request));
    await this.redis.publish(key, '1');
  }

  async readControl(cursor: string | null, waitMs: number, signal?: AbortSignal): Promise<{ cursor: string; requests: ControlRequest[] }> {
    const key = this.key('control');
    if (cursor === null) {
      const last = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
      return { cursor: last[0]?.[0] ?? '0-0', requests: [] };
    }
    const entries = await readOrWait(this.channels, key, waitMs, () => this.redis.xrange(key, `(${cursor}`, '+'), (e) => e.length > 0, signal);
    if (entries.length === 0) return { cursor, requests: [] };
    return { cursor: entries.at(-1)![0], requests: entries.map(([, fields]) => JSON.parse(fields[1]!) as ControlRequest) };
  }

  async replyControl(reply: ControlReply): Promise<void> {
    const key = this.key(`replies:${reply.requestId}`);
    await Promise.all([
      this.redis.hset(key, reply.hostname, JSON.stringify(reply)),
      this.redis.pexpire(key, CONTROL_KEEP_MS),
      this.redis.publish(key, '1'),
    ]);
  }

  async collectReplies(requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]> {
    const key = this.key(`replies:${requestId}`);
    const read = async () => Object.values(await this.redis.hgetall(key)).map((b) => JSON.parse(b) as ControlReply);
    // Without an expected count, every reply that comes within the wait is wanted.
    const enough = (replies: ControlReply[]) => expected !== undefined && replies.length >= expected;
    const replies = await readOrWait(this.channels, key, waitMs, read, enough);
    return replies.sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  async revoke(ids: readonly string[], ttlMs: number, reason: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const args = [this.prefix, Math.ceil(ttlMs), reason, new Date().toISOString(), this.resultExpiresMs, ...ids];
    return this.scripts.revoke(args);
  }

  async rememberRevoked(ids: readonly string[], ttlMs: number): Promise<void> {
    if (ids.length === 0) return;
    const key = this.key('revoked');
    const now = Date.now();
    await Promise.all([this.redis.zremrangebyscore(key, '-inf', now), this.redis.zadd(key, ...ids.flatMap((id) => [now + Math.ceil(ttlMs), id]))]);
  }

  async listRevoked(): Promise<string[]> {
    return (await this.redis.zrangebyscore(this.key('revoked'), `(${Date.now()}`, '+inf')).sort();
  }

  async appendEvents(events: readonly TqEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.scripts['append-events']([this.prefix, EVENT_STREAM_CAP, encodeEvents(events)]);
  }

  async readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> {
    const key = this.key('events');
    // An event id is '<stream entry>:<index in its batch>'; resume inside the entry it names.
    const [entry, index] = after === null ? ['-', -1] : [after.slice(0, after.lastIndexOf(':')), Number(after.slice(after.lastIndexOf(':') + 1))];
    const read = async () => {
      const events: StoredEvent[] = [];
      // An entry is a whole batch (one event from a client, up to 500 from a busy worker), so
      // entries are fetched two at first (the one resumed in and the next), then more per call
      // while they turn out small: a reader of full batches never fetches or decodes 20 of them for one.
      let from = entry;
      let count = 2;
      for (;;) {
        const entries = await this.redis.xrange(key, from, '+', 'COUNT', count);
        for (const [streamId, fields] of entries) {
          decodeEvents(fields[1]!).forEach((event, i) => {
            if (streamId !== entry || i > index) events.push({ ...event, eventId: `${streamId}:${i}` });
          });
          if (events.length >= max) return events.slice(0, max);
        }
        if (entries.length < count) return events;
        from = `(${entries.at(-1)![0]}`; // exclusive: after the last entry read
        count = Math.min(EVENT_ENTRIES_PER_READ, count * 4, max + 1);
      }
    };
    return readOrWait(this.channels, key, waitMs, read, (e) => e.length > 0, signal);
  }

  async latestEventId(): Promise<string | null> {
    const [last] = await this.redis.xrevrange(this.key('events'), '+', '-', 'COUNT', 1);
    return last ? `${last[0]}:${decodeEvents(last[1][1]!).length - 1}` : null;
  }

  async listScheduled(max: number): Promise<ScheduledMessage[]> {
    const flat = await this.scripts['list-scheduled']([this.prefix, max, BODY_PREVIEW_BYTES]);
    const all: (ScheduledMessage & { etaMs: number })[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      const etaMs = Number(flat[i + 2]);
      const body = bodyPreview(String(flat[i + 3]), Number(flat[i + 4]));
      all.push({ id: String(flat[i]), queue: String(flat[i + 1]), eta: new Date(etaMs).toISOString(), body, etaMs });
    }
    return all
      .sort((a, b) => a.etaMs - b.etaMs)
      .slice(0, max)
      .map(({ etaMs: _, ...s }) => s);
  }

  async listDead(max: number): Promise<DeadLetter[]> {
    const entries = (await this.scripts['list-dead']([this.prefix, max, BODY_PREVIEW_BYTES])).map((e) => JSON.parse(e) as StoredDead);
    return entries
      .sort((a, b) => b.deadAt - a.deadAt)
      .slice(0, max)
      .map((d) => ({ id: d.id, queue: d.queue, reason: d.reason, body: bodyPreview(d.body, d.bodyBytes), deadAt: new Date(d.deadAt).toISOString() }));
  }

  async requeueDead(ids?: readonly string[]): Promise<number> {
    if (ids && ids.length === 0) return 0;
    return this.scripts['requeue-dead']([this.prefix, ...(ids ?? [])]);
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }
}

/** A dead letter as dead-letter.lua stores it. */
interface StoredDead {
  id: string;
  queue: string;
  reason: string;
  body: string;
  deadAt: number;
  /** The whole body's size, when list-dead.lua sent only its first bytes. */
  bodyBytes?: number;
}
