import type { Redis } from 'ioredis';
import { bodyPreview, type PurgedTask, type QueueStats, type ReadyTaskCount, type ScheduledMessage } from '../../brokers/broker.js';
import type { DeadLetter } from '../../cluster.js';
import { decodeKombu } from './envelope.js';
import { bandKeys, queueOfBinding, type KombuKeys } from './layout.js';
import type { KombuScripts } from './scripts.js';

/** Unacked entries a scheduled listing reads at most (kombu's hash holds every in-flight message). */
const SCAN_UNACKED_MAX = 10_000;

/**
 * The read side of the kombu layout: which queues exist (kombu's bindings,
 * tq's dead letters, the configured ones), what waits in them, what is dead.
 * Reads only, apart from purge and requeue-dead.
 */
export class KombuListings {
  constructor(
    private readonly redis: Redis,
    private readonly scripts: KombuScripts,
    private readonly keys: KombuKeys,
    private readonly configured: readonly string[],
  ) {}

  /** Every queue some producer or consumer declared (kombu's bindings), has dead letters, or is configured; sorted. */
  async queues(): Promise<string[]> {
    const names = new Set(this.configured);
    for (const key of await this.scan(`${escapeGlob(this.keys.globalPrefix)}_kombu.binding.*`)) {
      for (const member of await this.redis.smembers(key)) {
        const q = queueOfBinding(member);
        // Celery's own pidbox and event queues are bound too; they are not task queues.
        if (q && !q.endsWith('.pidbox') && !q.startsWith('celeryev.')) names.add(q);
      }
    }
    for (const key of await this.scan(`${escapeGlob(this.keys.deadPrefix)}*`)) names.add(key.slice(this.keys.deadPrefix.length));
    return [...names].sort();
  }

  async purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>> {
    const out: Record<string, PurgedTask[]> = {};
    for (const q of queues) out[q] = [];
    const bands = bandKeys(this.keys, queues);
    if (bands.length === 0) return out;
    const reply = await this.scripts.purge(bands.map((b) => b.key), []);
    for (let i = 0; i < reply.length; i += 2) {
      const queue = bands[Number(reply[i]) - 1]!.queue;
      out[queue]!.push(taskOf(String(reply[i + 1])));
    }
    return out;
  }

  async peekReady(queues: readonly string[], max: number): Promise<ReadyTaskCount[]> {
    const out: ReadyTaskCount[] = [];
    for (const queue of queues) {
      const counts = new Map<string, number>();
      let left = max;
      for (const { key } of bandKeys(this.keys, [queue])) {
        if (left <= 0) break;
        // The RPOP end is served first: the list's last element is the next one.
        const raws = (await this.redis.lrange(key, -left, -1)).reverse();
        left -= raws.length;
        for (const raw of raws) {
          const task = taskOf(raw).task;
          counts.set(task, (counts.get(task) ?? 0) + 1);
        }
      }
      for (const [task, count] of counts) out.push({ queue, task, count });
    }
    return out;
  }

  async stats(queues?: readonly string[]): Promise<QueueStats[]> {
    const names = queues ?? (await this.queues());
    const pipeline = this.redis.pipeline();
    for (const q of names) {
      for (const { key } of bandKeys(this.keys, [q])) pipeline.llen(key);
      pipeline.llen(this.keys.deadPrefix + q);
    }
    const replies = ((await pipeline.exec()) ?? []).map(([err, n]) => {
      if (err) throw err;
      return Number(n);
    });
    return names.map((queue, i) => {
      const at = i * 5;
      const ready = replies.slice(at, at + 4).reduce((a, b) => a + b, 0);
      // kombu's layout keeps no send time, and no per-queue count of held or eta messages.
      return { queue, ready, scheduled: null, leased: null, dead: replies[at + 4]!, oldestReadyAgeMs: null };
    });
  }

  /** Eta messages held in `unacked` (by tq or Python workers) that are not due yet, soonest first. */
  async listScheduled(max: number): Promise<ScheduledMessage[]> {
    const now = Date.now();
    const found: ScheduledMessage[] = [];
    let cursor = '0';
    let seen = 0;
    do {
      const [next, flat] = await this.redis.hscan(this.keys.unacked, cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 1; i < flat.length; i += 2) {
        seen++;
        const entry = parseEntry(flat[i]!);
        if (!entry) continue;
        const k = decodeKombu(entry.raw);
        const eta = k.ok && typeof k.headers?.eta === 'string' ? Date.parse(k.headers.eta) : NaN;
        if (k.ok && eta > now) found.push({ id: String(k.headers.id), queue: entry.queue, eta: new Date(eta).toISOString(), body: bodyPreview(k.body) });
      }
    } while (cursor !== '0' && seen < SCAN_UNACKED_MAX);
    return found.sort((a, b) => a.eta.localeCompare(b.eta)).slice(0, max);
  }

  async listDead(max: number, queues?: readonly string[]): Promise<DeadLetter[]> {
    const names = queues ?? (await this.queues());
    const all: DeadLetter[] = [];
    for (const q of names) {
      for (const text of await this.redis.lrange(this.keys.deadPrefix + q, 0, max - 1)) {
        try {
          const d = JSON.parse(text) as DeadLetter;
          all.push({ ...d, id: d.id || '(no id)', body: bodyPreview(d.body) });
        } catch {
          // Only tq writes these lists; an entry it cannot read is skipped, never fatal to a listing.
        }
      }
    }
    return all.sort((a, b) => b.deadAt.localeCompare(a.deadAt)).slice(0, max);
  }

  async requeueDead(ids?: readonly string[], queues?: readonly string[]): Promise<number> {
    let moved = 0;
    for (const q of queues ?? (await this.queues())) {
      moved += await this.scripts['requeue-dead']([this.keys.deadPrefix + q, this.keys.globalPrefix + q], ids ?? []);
    }
    return moved;
  }

  private async scan(match: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }
}

/** The id and task name of a list element ('' for what is not a Celery task message). */
function taskOf(raw: string): PurgedTask {
  const k = decodeKombu(raw);
  if (!k.ok) return { id: k.id ?? '', task: '' };
  return { id: typeof k.headers?.id === 'string' ? k.headers.id : '', task: typeof k.headers?.task === 'string' ? k.headers.task : '' };
}

/** kombu's unacked entry: json [message, exchange, routing_key]. */
function parseEntry(text: string): { raw: string; queue: string } | null {
  try {
    const [message, , rk] = JSON.parse(text) as [unknown, string, string];
    return { raw: JSON.stringify(message), queue: rk };
  } catch {
    return null;
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

