import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Redis } from 'ioredis';
import { createConnection } from '../../brokers/redis/connection.js';
import { HEARTBEAT_INTERVAL_MS, type ControlReply, type ControlRequest, type StoredEvent, type TqEvent, type WorkerHeartbeat } from '../../cluster.js';
import type { RedisTlsOptions } from '../../config.js';
import type { CeleryClusterVerbs } from '../backend.js';
import { CeleryEvents } from './celeryev.js';
import { LamportClock } from './clock.js';
import { toCeleryTaskEvent, workerEvent, type CeleryEvent } from './events.js';
import { celeryChannels, celeryNodeName, type CeleryChannels } from './names.js';
import { PidboxClient } from './pidbox-client.js';
import { PidboxServer } from './pidbox-server.js';
import { heartbeatOfStats } from './python-workers.js';
import { Subscriber } from './subscriber.js';

export interface CeleryRedisClusterOptions {
  /** The Celery broker's redis:// URL: the pidbox and celeryev live on the broker. */
  url: string;
  /** kombu's global_keyprefix. */
  globalKeyPrefix: string;
  redisTls?: RedisTlsOptions;
}

/** How long listHeartbeats waits for Python workers' stats (Celery's own inspect waits 1 s). */
const STATS_WAIT_MS = 1000;
/** The heartbeat interval Celery's worker events state (`freq`, seconds): a monitor shows a worker offline after missing a few. */
const FREQ_SECONDS = HEARTBEAT_INTERVAL_MS / 1000;

/**
 * Celery's control and events on kombu's Redis transport, for tq processes:
 * a tq worker answers `celery inspect` / `celery control` on the pidbox and
 * publishes worker and task events on celeryev as a Celery worker does; tq's
 * CLI asks every worker (Python and tq) on the pidbox and reads Python
 * workers' events from celeryev. Connections: one for commands, one
 * subscriber (pidbox, celeryev), and one blocking reader of replies, each
 * made when first needed.
 */
export class CeleryRedisCluster implements CeleryClusterVerbs {
  private readonly channels: CeleryChannels;
  private readonly redis: Redis;
  private blockingRedis: Redis | undefined;
  private readonly subscriber: Subscriber;
  private readonly clock = new LamportClock();
  /** What every event of this process carries: its pid and the next clock value. */
  private readonly source = { pid: process.pid, clock: () => this.clock.forward() };
  private readonly server: PidboxServer;
  private readonly client: PidboxClient;
  private readonly events: CeleryEvents;
  /** This worker's node name and latest heartbeat, once it sent one. */
  private node: string | null = null;
  private last: WorkerHeartbeat | undefined;
  private online = false;
  /** The latest ask of Python workers' stats (in flight or answered), and when it was made. */
  private pythonWorkers: { at: number; list: Promise<WorkerHeartbeat[]> } | undefined;

  constructor(private readonly o: CeleryRedisClusterOptions) {
    this.channels = celeryChannels(o.url, o.globalKeyPrefix);
    this.redis = createConnection(o.url, 'commands', o.redisTls);
    this.subscriber = new Subscriber(() => createConnection(o.url, 'subscriber', o.redisTls));
    this.server = new PidboxServer(this.redis, this.subscriber, this.channels, this.clock, {
      onHeartbeatRequest: () => {
        if (this.last && this.node && this.online) void this.send([workerEvent('worker-heartbeat', this.last, this.node, this.source, FREQ_SECONDS)]).catch(() => undefined);
      },
      nodeName: () => this.node,
    });
    this.client = new PidboxClient(this.redis, () => this.blocking(), this.channels, this.clock);
    this.events = new CeleryEvents(this.redis, this.subscriber, this.channels);
  }

  /**
   * Connects on first use: the broker's own connection has already shown the
   * URL works, and a client that only sends tasks never touches the pidbox.
   */
  async connect(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
    this.subscriber.close();
    this.blockingRedis?.disconnect();
    this.redis.disconnect();
  }

  /** Sends worker-online (the first), worker-heartbeat, or worker-offline (a clean stop) on celeryev, as Celery's Heart does. */
  async recordHeartbeat(hb: WorkerHeartbeat): Promise<void> {
    this.node = celeryNodeName(hb.hostname);
    this.last = hb;
    const type = hb.state === 'offline' ? 'worker-offline' : this.online ? 'worker-heartbeat' : 'worker-online';
    this.online = hb.state === 'online';
    await this.send([workerEvent(type, hb, this.node, this.source, FREQ_SECONDS)]);
  }

  /**
   * The Python workers that answer Celery's `stats` within a second (tq
   * workers are left to tq's own heartbeats). Callers at once share one ask,
   * and its answer serves for a heartbeat interval: a monitor polling every
   * second asks the workers every two, as a Celery worker beats.
   */
  listHeartbeats(): Promise<WorkerHeartbeat[]> {
    if (this.pythonWorkers && Date.now() - this.pythonWorkers.at < HEARTBEAT_INTERVAL_MS) return this.pythonWorkers.list;
    const at = Date.now();
    const list = this.askStats();
    this.pythonWorkers = { at, list };
    list.catch(() => (this.pythonWorkers = undefined));
    return list;
  }

  private async askStats(): Promise<WorkerHeartbeat[]> {
    const id = randomUUID();
    await this.client.publish({ id, command: { verb: 'stats' }, destination: [], sentAt: new Date().toISOString() }, STATS_WAIT_MS);
    const replies = await this.client.collect(id, STATS_WAIT_MS);
    return replies.map(heartbeatOfStats).filter((hb): hb is WorkerHeartbeat => hb !== null);
  }

  publishControl(request: ControlRequest): Promise<void> {
    return this.client.publish(request);
  }
  readControl(cursor: string | null, waitMs: number, signal?: AbortSignal) {
    return this.server.read(cursor, waitMs, signal);
  }
  replyControl(reply: ControlReply): Promise<void> {
    return this.server.reply(reply);
  }
  collectReplies(requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]> {
    return this.client.collect(requestId, waitMs, expected);
  }

  /** Task events as a Celery worker sends them (a client's task-sent under its own generated node name). */
  async appendEvents(events: readonly TqEvent[]): Promise<void> {
    const byNode = new Map<string, CeleryEvent[]>();
    for (const e of events) {
      const node = e.hostname ? celeryNodeName(e.hostname) : (this.node ?? `gen${process.pid}@${osHostname()}`);
      const celery = toCeleryTaskEvent(e, node, this.source);
      if (celery) byNode.set(node, [...(byNode.get(node) ?? []), celery]);
    }
    await Promise.all([...byNode].map(([node, list]) => this.events.publish(list, node)));
  }

  /** Python workers' events seen on celeryev since this process first asked. */
  readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> {
    return this.events.read(after, max, waitMs, signal);
  }
  latestEventId(): Promise<string | null> {
    return this.events.latest();
  }

  private send(events: CeleryEvent[]): Promise<void> {
    return this.events.publish(events, this.node ?? `gen${process.pid}@${osHostname()}`);
  }


  private blocking(): Redis {
    if (!this.blockingRedis) {
      this.blockingRedis = createConnection(this.o.url, 'blocking', this.o.redisTls);
      this.blockingRedis.connect().catch(() => undefined);
    }
    return this.blockingRedis;
  }
}
