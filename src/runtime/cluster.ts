/**
 * Types for operating a running cluster: heartbeats, remote control, events
 * and dead letters. JSON-safe; brokers store them without interpreting them
 * beyond the fields their verbs name.
 */

/** A worker's latest state, published every HEARTBEAT_INTERVAL_MS. */
export interface WorkerHeartbeat {
  hostname: string;
  pid: number;
  pool: string;
  concurrency: number;
  queues: string[];
  /**
   * The task names it registers, so another worker can tell whether a message
   * it cannot run has a taker (absent in heartbeats of older workers).
   */
  tasks?: string[];
  active: number;
  /** Messages this worker holds (running and reserved), per queue: what a broker that cannot count leased messages (RabbitMQ) shows. */
  held?: Record<string, number>;
  processed: number;
  failed: number;
  retried: number;
  /** 1-minute load average of the machine. */
  load: number;
  rssBytes: number;
  startedAt: string;
  sentAt: string;
  version: string;
  /** A clean shutdown says 'offline' at once; otherwise offline is inferred from age. */
  state: 'online' | 'offline';
}

export const HEARTBEAT_INTERVAL_MS = 2000;
/** A worker that missed this many heartbeats is shown offline. */
export const MISSED_HEARTBEATS_OFFLINE = 3;

export function isOnline(hb: WorkerHeartbeat, now = Date.now()): boolean {
  return hb.state === 'online' && now - Date.parse(hb.sentAt) <= HEARTBEAT_INTERVAL_MS * MISSED_HEARTBEATS_OFFLINE;
}

/** The fixed set of remote-control commands; nothing else is accepted, nothing runs code by name. */
export type ControlCommand =
  | { verb: 'ping' }
  | { verb: 'active' }
  | { verb: 'reserved' }
  | { verb: 'scheduled' }
  | { verb: 'registered' }
  | { verb: 'stats' }
  | { verb: 'revoked' }
  | { verb: 'active_queues' }
  | { verb: 'query_task'; ids: string[] }
  | { verb: 'revoke'; ids: string[]; terminate: boolean }
  | { verb: 'rate_limit'; task: string; rate: string }
  | { verb: 'time_limit'; task: string; soft: number | null; hard: number | null }
  | { verb: 'pool_grow'; n: number }
  | { verb: 'pool_shrink'; n: number }
  | { verb: 'add_consumer'; queue: string }
  | { verb: 'cancel_consumer'; queue: string }
  | { verb: 'shutdown' };

export interface ControlRequest {
  id: string;
  command: ControlCommand;
  /** Hostnames that should answer; empty: every worker. */
  destination: string[];
  sentAt: string;
}

export interface ControlReply {
  requestId: string;
  hostname: string;
  ok: boolean;
  /** The answer, shaped by the verb; or an error message when !ok. */
  data: unknown;
}

export type TqEventType =
  | 'task-sent'
  | 'task-received'
  | 'task-started'
  | 'task-succeeded'
  | 'task-failed'
  | 'task-retried'
  | 'task-revoked'
  | 'task-rejected'
  | 'task-progress'
  | 'worker-online'
  | 'worker-heartbeat'
  | 'worker-offline';

/** One thing that happened, for monitors (`tq events`, `tq top`). */
export interface TqEvent {
  type: TqEventType;
  /** ISO-8601 UTC. */
  at: string;
  taskId?: string;
  task?: string;
  hostname?: string;
  queue?: string;
  /** Event-specific details: runtime, result summary, error, eta, reason… */
  data?: Record<string, unknown>;
}

/** A stored event with its position in the stream, to resume after. */
export interface StoredEvent extends TqEvent {
  eventId: string;
}

/** A message set aside because it cannot or may not run. */
export interface DeadLetter {
  id: string;
  queue: string;
  reason: string;
  /** The raw body; listDead cuts it to a preview (requeue-dead uses the stored whole). */
  body: string;
  deadAt: string;
}

/** Events kept at most in the stream; older ones are dropped first. */
export const EVENT_STREAM_CAP = 10_000;

/** What one task looks like in `inspect active` / `reserved` / `query_task` replies. */
export interface TaskInfo {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  queue: string;
  worker: string;
  state: 'active' | 'reserved';
  startedAt?: string;
}
