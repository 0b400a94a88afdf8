import type { Stores } from '../brokers/index.js';
import { queueStats } from '../queue-stats.js';
import type { StoredEvent } from '../cluster.js';
import { followEvents } from '../events.js';
import { applyError, applyEvents, applyHeartbeats, applyRecord, applyStats, emptyCluster, type ClusterState } from './cluster-state.js';

export interface ClusterMonitorOptions {
  stores: Stores;
  /** How often heartbeats and queue stats are read (default 1 s). */
  pollMs?: number;
  /** How often buffered events are folded into the state (default 100 ms: at most 10 updates a second). */
  flushMs?: number;
  /** Replay the events still kept in the stream first ('0'), or start with new ones (null). */
  after?: string | null;
  /** Hears each batch of raw events just before it is folded in (tq web's charts and metrics). */
  onEvents?: (batch: readonly StoredEvent[]) => void;
}

/**
 * Keeps a ClusterState up to date from one deployment: heartbeats (backend)
 * and queue stats (broker) by polling, tasks from the backend's event stream.
 * Only the Broker and Backend interfaces are used, so it works on every store.
 *
 * States: created → running (start: one poll done, events followed) →
 * stopped (stop: the event read is aborted, timers cleared). Listeners hear of
 * a change at most once per `flushMs`.
 */
export class ClusterMonitor {
  private current: ClusterState = emptyCluster();
  private readonly listeners = new Set<(state: ClusterState) => void>();
  private readonly stopped = new AbortController();
  private pending: StoredEvent[] = [];
  private timers: NodeJS.Timeout[] = [];
  private eventLoop: Promise<void> = Promise.resolve();

  constructor(private readonly options: ClusterMonitorOptions) {}

  get state(): ClusterState {
    return this.current;
  }

  get stores(): Stores {
    return this.options.stores;
  }

  async start(): Promise<void> {
    await this.poll();
    this.eventLoop = this.follow();
    this.timers.push(setInterval(() => void this.poll(), this.options.pollMs ?? 1000));
    this.timers.push(setInterval(() => this.flush(), this.options.flushMs ?? 100));
  }

  /** Reads heartbeats, stats and every event the stream keeps, once, without following (a snapshot). */
  async readOnce(): Promise<ClusterState> {
    await this.poll();
    const batch: StoredEvent[] = [];
    for await (const event of followEvents(this.options.stores.backend, { after: '0', follow: false })) batch.push(event);
    this.options.onEvents?.(batch);
    this.update(applyEvents(this.current, batch));
    return this.current;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.stopped.abort();
    await this.eventLoop;
  }

  subscribe(listener: (state: ClusterState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads one task's stored record and merges it in (the detail view; after an action). */
  async refreshTask(id: string): Promise<void> {
    const record = await this.options.stores.backend.getResult(id);
    if (record) this.update(applyRecord(this.current, record));
  }

  /** Reads heartbeats and queue stats now. */
  async poll(): Promise<void> {
    try {
      const heartbeats = await this.options.stores.backend.listHeartbeats();
      const stats = await queueStats(this.options.stores, heartbeats);
      this.update(applyStats(applyHeartbeats(this.current, heartbeats), stats));
    } catch (err) {
      this.update(applyError(this.current, err));
    }
  }

  private async follow(): Promise<void> {
    const signal = this.stopped.signal;
    let after = this.options.after === undefined ? '0' : this.options.after;
    while (!signal.aborted) {
      try {
        for await (const event of followEvents(this.options.stores.backend, { after, follow: true, signal })) {
          this.pending.push(event);
          after = event.eventId;
        }
      } catch (err) {
        if (signal.aborted) return;
        this.update(applyError(this.current, err));
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.options.onEvents?.(batch);
    this.update(applyEvents(this.current, batch));
  }

  private update(next: ClusterState): void {
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }
}
