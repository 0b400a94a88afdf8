import type { Stores } from '../brokers/index.js';
import type { WorkerHeartbeat } from '../cluster.js';
import { HEARTBEAT_INTERVAL_MS } from '../cluster.js';
import type { TaskRegistry } from '../discovery.js';
import type { Logger } from '../log.js';
import type { TaskMessage } from '../message.js';
import type { Held } from './held.js';

/**
 * How long after its last heartbeat a worker still counts as a taker of the
 * tasks it registers: a restart (a deploy, a crash and its supervisor) must not
 * make the others dead-letter its work in the meantime.
 */
export const TAKER_GRACE_MS = 60_000;
/** Heartbeats are read again after this long (workers publish every 2 s). */
const PEERS_CACHE_MS = HEARTBEAT_INTERVAL_MS;
/** Before a message is dead-lettered for want of a taker, the heartbeats are no older than this. */
const FRESH_ENOUGH_MS = 250;
/** A handed-back message is due again after deliveries × this, at most HAND_BACK_MAX_MS. */
const HAND_BACK_STEP_MS = 100;
const HAND_BACK_MAX_MS = 2_000;
/** Ready messages per queue a worker looks at when it starts. */
export const STARTUP_PEEK = 100;

/**
 * Foreign tasks: messages for tasks this worker does not register. Another
 * worker on the same queue may register them (a worker per role, or a rolling
 * deploy that adds a task), so such a message is handed back for it instead of
 * being dead-lettered; only a name that no worker consuming its queue
 * registers is dead-lettered. Who registers what is read from the workers'
 * heartbeats, which list their task names.
 *
 * States: no heartbeats read → read (cached for PEERS_CACHE_MS) → read again.
 */
export class ForeignTasks {
  private peers: { at: number; list: WorkerHeartbeat[] } | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly stores: Stores,
    private readonly hostname: string,
    private readonly log: Logger,
  ) {}

  /**
   * The other workers that may run `task` from `queue`: seen within
   * TAKER_GRACE_MS, consuming the queue, and registering the task (or
   * publishing no task list, as workers of older versions do, which may).
   * Null when the heartbeats cannot be read: then nothing is thrown away.
   */
  async takers(task: string, queue: string): Promise<string[] | null> {
    try {
      let found = takersIn(await this.heartbeats(PEERS_CACHE_MS), this.hostname, task, queue);
      if (found.length === 0) found = takersIn(await this.heartbeats(FRESH_ENOUGH_MS), this.hostname, task, queue);
      return found;
    } catch {
      return null;
    }
  }

  /**
   * A valid message for a task this worker does not register: handed back to
   * its queue (same body, so not counted as a retry; due again after
   * handBackDelayMs) while another worker consuming the queue registers the
   * task, and null returned. When none does, nothing is done here and the
   * reason to dead-letter it with is returned.
   */
  async handBack(held: Held, message: TaskMessage, call: <T>(fn: () => Promise<T>) => Promise<T | undefined>): Promise<string | null> {
    const takers = await this.takers(message.task, message.queue);
    if (takers !== null && takers.length === 0) {
      return `unknown task '${message.task}': neither ${this.hostname} nor any online worker consuming '${message.queue}' registers it`;
    }
    this.warnHandedBack(message.task, takers);
    const { id, queue, body, deliveries, lease } = held.reservation;
    await call(() => this.stores.broker.retry(lease, { id, queue, priority: message.priority, etaMs: Date.now() + handBackDelayMs(deliveries), body }));
    return null;
  }

  /** Says once per task name that its messages are handed back, and to whom. */
  private warnHandedBack(task: string, takers: string[] | null): void {
    if (this.warned.has(task)) return;
    this.warned.add(task);
    const who = takers === null ? 'the heartbeats could not be read, so it is kept' : `registered by ${takers.slice(0, 3).join(', ')}${takers.length > 3 ? ', …' : ''}`;
    this.log.warn(`task '${task}' is not registered on this worker: its messages go back to the queue for a worker that registers it (${who})`);
  }

  /**
   * Warns when the queues this worker consumes hold, among their first ready
   * messages, tasks it cannot run: which, how many, and whether any other
   * worker registers them (else they will be dead-lettered).
   */
  async warnAtStartup(registry: TaskRegistry, queues: readonly string[]): Promise<void> {
    const counts = (await this.stores.broker.peekReady(queues, STARTUP_PEEK)).filter((c) => c.task !== '' && !registry.get(c.task));
    for (const queue of new Set(counts.map((c) => c.queue))) {
      const parts: string[] = [];
      for (const { task, count } of counts.filter((c) => c.queue === queue)) {
        const takers = await this.takers(task, queue);
        const fate = takers === null || takers.length > 0 ? `left for ${takers?.join(', ') ?? 'another worker'}` : 'no online worker registers it: it will be dead-lettered';
        parts.push(`${task} ×${count} (${fate})`);
      }
      this.log.warn(`queue '${queue}' holds tasks this worker does not register, among its first ${STARTUP_PEEK} ready messages: ${parts.join('; ')}`);
    }
  }

  private async heartbeats(maxAgeMs: number): Promise<WorkerHeartbeat[]> {
    if (!this.peers || Date.now() - this.peers.at > maxAgeMs) this.peers = { at: Date.now(), list: await this.stores.backend.listHeartbeats() };
    return this.peers.list;
  }
}

function takersIn(heartbeats: WorkerHeartbeat[], self: string, task: string, queue: string): string[] {
  const now = Date.now();
  return heartbeats
    .filter((hb) => hb.hostname !== self && now - Date.parse(hb.sentAt) <= TAKER_GRACE_MS && hb.queues.includes(queue) && (hb.tasks === undefined || hb.tasks.includes(task)))
    .map((hb) => hb.hostname);
}

/**
 * When a handed-back message is due again: a little later at each delivery,
 * so two workers that both cannot run it do not pass it to and fro in a hot
 * loop, and never so late that its taker waits long.
 */
export function handBackDelayMs(deliveries: number): number {
  return Math.min(HAND_BACK_STEP_MS * Math.max(1, deliveries), HAND_BACK_MAX_MS);
}
