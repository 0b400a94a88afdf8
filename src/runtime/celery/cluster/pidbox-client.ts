import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ControlCommand, ControlReply, ControlRequest } from '../../cluster.js';
import type { LamportClock } from './clock.js';
import { toCeleryCall } from './commands.js';
import { celeryNodeName, CONTROL_EXCHANGE, REPLY_EXCHANGE, type CeleryChannels } from './names.js';
import { fromCeleryReply, type TqAnswer } from './replies.js';
import { decodeTransient, encodeTransient } from './transient.js';

/** Requests (and their replies) are forgotten after this long. */
const KEEP_MS = 10 * 60_000;

/**
 * The client's side of Celery's pidbox (kombu/pidbox.py Mailbox): a request
 * is published on the fanout channel with a ticket and this client's reply
 * routing key (its oid), and every worker — Python or tq — pushes its
 * `{node: reply}` to the queue bound under that key, which is read here.
 * A reply a tq worker sends carries tq's own answer as well, so tq reads a tq
 * worker exactly and a Python worker as its Celery reply translates.
 *
 * States: unbound → bound (first request: the reply queue's binding is added)
 * → closed (binding removed, queue deleted, as kombu does after collecting).
 */
export class PidboxClient {
  private readonly oid = randomUUID();
  private bound: Promise<unknown> | undefined;
  private readonly sent = new Map<string, { command: ControlCommand; at: number }>();
  private readonly replies = new Map<string, Map<string, ControlReply>>();
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly blocking: () => Redis,
    private readonly channels: CeleryChannels,
    private readonly clock: LamportClock,
  ) {}

  async publish(request: ControlRequest, timeoutMs = 10_000): Promise<void> {
    this.bound ??= this.redis.sadd(this.channels.replyBinding, this.channels.replyMember(this.oid));
    await this.bound;
    this.forgetOld();
    this.sent.set(request.id, { command: request.command, at: Date.now() });
    const call = toCeleryCall(request.command);
    const body = {
      method: call.method,
      arguments: call.arguments,
      destination: request.destination.length > 0 ? request.destination.map(celeryNodeName) : null,
      pattern: null,
      matcher: null,
      ticket: request.id,
      reply_to: { exchange: REPLY_EXCHANGE, routing_key: this.oid },
    };
    const headers = { clock: this.clock.forward(), expires: (Date.now() + timeoutMs) / 1000, tq_command: request.command };
    await this.redis.publish(this.channels.pidbox, encodeTransient(body, headers, CONTROL_EXCHANGE, ''));
  }

  /** The replies to a request so far, waiting up to `waitMs` for more (less once `expected` came). */
  async collect(requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]> {
    const deadline = Date.now() + waitMs;
    const got = () => this.replies.get(requestId)?.size ?? 0;
    for (;;) {
      const left = deadline - Date.now();
      if ((expected !== undefined && got() >= expected) || left <= 0) break;
      await this.readOnce(left);
    }
    return [...(this.replies.get(requestId)?.values() ?? [])].sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  async close(): Promise<void> {
    if (!this.bound) return;
    await Promise.all([this.redis.srem(this.channels.replyBinding, this.channels.replyMember(this.oid)), this.redis.del(this.channels.replyQueue(this.oid))]);
  }

  /** One blocking pop of the reply queue (one reader at a time), filing each reply under its ticket. */
  private readOnce(waitMs: number): Promise<void> {
    this.reading = this.reading.catch(() => undefined).then(async () => {
      const popped = await this.blocking().brpop(this.channels.replyQueue(this.oid), Math.max(0.01, Math.min(waitMs, 1000) / 1000));
      if (popped) this.file(popped[1]);
    });
    return this.reading;
  }

  private file(raw: string): void {
    const message = decodeTransient(raw);
    if (!message || typeof message.body !== 'object' || message.body === null) return;
    this.clock.adjust(message.headers.clock);
    const ticket = String(message.headers.ticket ?? '');
    const sent = this.sent.get(ticket);
    if (!sent) return;
    const own = message.headers.tq_reply as TqAnswer | undefined;
    let filed = this.replies.get(ticket);
    if (!filed) this.replies.set(ticket, (filed = new Map()));
    for (const [hostname, reply] of Object.entries(message.body as Record<string, unknown>)) {
      const answer = own && typeof own === 'object' && 'ok' in own ? own : fromCeleryReply(sent.command, reply, hostname);
      filed.set(hostname, { requestId: ticket, hostname, ok: answer.ok, data: answer.data });
    }
  }

  private forgetOld(): void {
    const old = Date.now() - KEEP_MS;
    for (const [id, s] of this.sent) {
      if (s.at < old) {
        this.sent.delete(id);
        this.replies.delete(id);
      }
    }
  }
}
