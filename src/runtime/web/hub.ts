import type { ClusterState } from '../monitor/cluster-state.js';
import { overviewOf, taskListOf, taskOf, type TaskFilter } from './views.js';
import type { WireSeries } from './wire.js';

/** What one live stream asks for. */
export type StreamView = { kind: 'overview' } | { kind: 'tasks'; filter: TaskFilter } | { kind: 'task'; id: string };

export interface LiveHubOptions {
  state(): ClusterState;
  series(): WireSeries;
  /** Updates per second per client, at most (default 4). */
  maxPerSecond?: number;
  /** Live streams at once, at most (default 64); one more is refused. */
  maxClients?: number;
}

interface Subscriber {
  view: StreamView;
  send(json: string): Promise<void>;
  /** A send is on the wire: the next update waits (and is replaced by a newer one), never queues. */
  busy: boolean;
  /** The state changed since this client's last update (true at first: a new stream gets one at once). */
  stale: boolean;
  events: { count: number; oldestAt: number | null; newestAt: number | null };
}

/**
 * Fans the monitor's state out to the page's live streams (SSE), coalesced:
 * however many events arrive, each client gets at most `maxPerSecond`
 * updates, each a bounded snapshot of what its view shows. A slow client
 * skips updates instead of buffering them, so memory stays flat under a
 * firehose of events and a stalled browser costs nothing.
 *
 * States: created → running (start: a tick every 1/maxPerSecond s) →
 * stopped (stop: timer cleared, subscribers dropped).
 */
export class LiveHub {
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LiveHubOptions) {}

  get size(): number {
    return this.subscribers.size;
  }

  get full(): boolean {
    return this.subscribers.size >= (this.options.maxClients ?? 64);
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), 1000 / (this.options.maxPerSecond ?? 4));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.subscribers.clear();
  }

  /** The state changed: the next tick sends an update. */
  changed(): void {
    for (const s of this.subscribers) s.stale = true;
  }

  /** Counts new events per client, for the lag figures each update carries (times: epoch ms, as eventTimes gives them). */
  noteEvents(times: readonly number[]): void {
    if (times.length === 0) return;
    let oldest = Infinity;
    let newest = -Infinity;
    for (const at of times) {
      if (at < oldest) oldest = at;
      if (at > newest) newest = at;
    }
    for (const s of this.subscribers) {
      s.events.count += times.length;
      if (Number.isFinite(oldest)) s.events.oldestAt = Math.min(s.events.oldestAt ?? oldest, oldest);
      if (Number.isFinite(newest)) s.events.newestAt = Math.max(s.events.newestAt ?? newest, newest);
    }
  }

  /** Adds a stream; returns its detach function, or null when the hub is full. */
  subscribe(view: StreamView, send: (json: string) => Promise<void>): (() => void) | null {
    if (this.full) return null;
    const s: Subscriber = { view, send, busy: false, stale: true, events: { count: 0, oldestAt: null, newestAt: null } };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** Builds and sends one round of updates (each distinct view's payload is built once per round). */
  tick(now = Date.now()): void {
    const waiting = [...this.subscribers].filter((s) => s.stale && !s.busy);
    if (waiting.length === 0) return;
    const state = this.options.state();
    const built = new Map<string, string>();
    for (const s of waiting) {
      const key = JSON.stringify(s.view);
      let body = built.get(key);
      if (body === undefined) {
        body = this.sections(s.view, state, now);
        built.set(key, body);
      }
      const events = s.events;
      s.events = { count: 0, oldestAt: null, newestAt: null };
      s.stale = false;
      s.busy = true;
      s.send(`{"at":${now},"events":${JSON.stringify(events)},${body}}`).then(
        () => (s.busy = false),
        () => this.subscribers.delete(s),
      );
    }
  }

  private sections(view: StreamView, state: ClusterState, now: number): string {
    switch (view.kind) {
      case 'overview':
        return `"overview":${JSON.stringify(overviewOf(state, this.options.series(), now))}`;
      case 'tasks':
        return `"tasks":${JSON.stringify(taskListOf(state, view.filter, now))}`;
      case 'task':
        return `"task":${JSON.stringify(taskOf(state.tasks.get(view.id), null, now))}`;
    }
  }
}
