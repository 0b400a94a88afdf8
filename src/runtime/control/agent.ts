import type { Backend } from '../brokers/backend.js';
import { HEARTBEAT_INTERVAL_MS, type ControlRequest, type TqEvent, type TqEventType } from '../cluster.js';
import { serializeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { TaskMessage } from '../message.js';
import { isoNow as now } from '../iso-time.js';
import { summarize } from '../worker/records.js';
import { STOP_BROKER_WAIT_MS } from '../worker/worker.js';
import { within } from '../within.js';
import { EventBatcher } from './event-batcher.js';
import { heartbeatOf, type HeartbeatSource } from './heartbeat.js';
import { answer } from './responder.js';

export interface ClusterAgentOptions extends HeartbeatSource {
  /** Where heartbeats, control requests, revocations and events live. */
  backend: Backend;
  log: Logger;
  /** Send task and worker events to the broker's stream (tq events, tq top). */
  events: boolean;
  requestShutdown(): void;
}

/** How long a control read blocks before the loop looks at its own state again. */
const CONTROL_WAIT_MS = 1000;

/**
 * Makes a worker part of a visible, controllable cluster: publishes its
 * heartbeat every 2 s, answers remote-control requests, keeps its revoked set
 * in step with the broker's, and turns its task events into stream events.
 *
 * States: created → running (start) → stopped (stop: heartbeat 'offline' sent,
 * events flushed). The control loop runs off the task path, so a worker
 * answers even while CPU-bound tasks run in threads or child processes.
 */
export class ClusterAgent {
  private readonly stopped = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private controlLoop: Promise<void> = Promise.resolve();
  private readonly events: EventBatcher;

  constructor(private readonly o: ClusterAgentOptions) {
    this.events = new EventBatcher(o.backend, (err) => o.log.debug(`events not sent: ${(err as Error).message}`));
  }

  async start(): Promise<void> {
    const { backend, worker } = this.o;
    if (this.o.events) this.forwardTaskEvents();
    // Read the control cursor before announcing ourselves, so no request sent after "online" is missed.
    const { cursor } = await backend.readControl(null, 0);
    this.controlLoop = this.listen(cursor);
    await this.beat('online');
    this.emit({ type: 'worker-online', hostname: this.o.hostname, at: now(), data: { pool: this.o.pool, concurrency: worker.concurrency } });
    this.timer = setInterval(() => void this.beat('online'), HEARTBEAT_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopped.abort();
    // Bounded: a broker gone for good must not keep the worker from exiting;
    // without the goodbye, the missed heartbeats show it offline soon anyway.
    await within(this.controlLoop, STOP_BROKER_WAIT_MS);
    this.emit({ type: 'worker-offline', hostname: this.o.hostname, at: now() });
    await within(Promise.all([this.beat('offline'), this.events.flush()]), STOP_BROKER_WAIT_MS);
  }

  private async beat(state: 'online' | 'offline'): Promise<void> {
    try {
      const hb = heartbeatOf(this.o, state);
      await this.o.backend.recordHeartbeat(hb);
      if (state === 'online') {
        for (const id of await this.o.backend.listRevoked()) this.o.worker.revoked.add(id);
        this.emit({ type: 'worker-heartbeat', hostname: hb.hostname, at: hb.sentAt, data: { active: hb.active, processed: hb.processed } });
      }
    } catch (err) {
      this.o.log.warn(`heartbeat not sent: ${(err as Error).message}`);
    }
  }

  private async listen(start: string): Promise<void> {
    let cursor = start;
    while (!this.stopped.signal.aborted) {
      try {
        const read = await this.o.backend.readControl(cursor, CONTROL_WAIT_MS, this.stopped.signal);
        cursor = read.cursor;
        for (const request of read.requests) await this.handle(request);
      } catch (err) {
        this.o.log.warn(`control channel: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async handle(request: ControlRequest): Promise<void> {
    if (request.destination.length > 0 && !request.destination.includes(this.o.hostname)) return;
    let reply: { ok: boolean; data: unknown };
    try {
      reply = { ok: true, data: await answer(request.command, this.o) };
    } catch (err) {
      reply = { ok: false, data: serializeError(err).message };
    }
    this.o.log.debug(`control ${request.command.verb} → ${reply.ok ? 'ok' : `error: ${String(reply.data)}`}`);
    await this.o.backend.replyControl({ requestId: request.id, hostname: this.o.hostname, ...reply });
  }

  private emit(event: TqEvent): void {
    if (this.o.events) this.events.add(event);
  }

  private forwardTaskEvents(): void {
    const { worker, hostname } = this.o;
    worker.on('task-received', (m) => {
      const at = now();
      this.emit({ type: 'task-received', at, taskId: m.id, task: m.task, hostname, queue: m.queue, data: { args: m.args, kwargs: m.kwargs, retries: m.retries } });
      this.emit({ type: 'task-started', at, taskId: m.id, task: m.task, hostname, queue: m.queue });
    });
    worker.on('task-progress', (m, fraction, note) => this.emit({ type: 'task-progress', at: now(), taskId: m.id, task: m.task, hostname, data: { fraction, note } }));
    worker.on('task-finished', (outcome, accepted) => {
      if (!accepted) return; // a refused (late) ack changed nothing; the new holder reports the real outcome
      const m = outcome.message;
      switch (outcome.kind) {
        case 'success':
          return this.emit(taskEvent(m, hostname, 'task-succeeded', { runtimeMs: outcome.runtimeMs, result: summarize(outcome.value) }));
        case 'failure':
          return this.emit(taskEvent(m, hostname, 'task-failed', { runtimeMs: outcome.runtimeMs, error: outcome.error, deadLettered: outcome.exhausted }));
        case 'retry':
          return this.emit(taskEvent(m, hostname, 'task-retried', { error: outcome.error, delayMs: outcome.delayMs }));
        case 'revoked':
          return this.emit(taskEvent(m, hostname, 'task-revoked', { reason: outcome.reason }));
        case 'reject':
          return this.emit(taskEvent(m, hostname, 'task-rejected', { reason: outcome.reason }));
      }
    });
  }
}

/** One task event, built in one literal (no spread): it runs for every task a busy worker finishes. */
function taskEvent(m: TaskMessage | null, hostname: string, type: TqEventType, data: Record<string, unknown>): TqEvent {
  return { type, at: now(), taskId: m?.id, task: m?.task, hostname, queue: m?.queue, data };
}
