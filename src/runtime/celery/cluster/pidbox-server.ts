import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ControlCommand, ControlReply, ControlRequest } from '../../cluster.js';
import { queueOfBinding, SEP } from '../redis/layout.js';
import type { LamportClock } from './clock.js';
import { fromCeleryCall, type CeleryCall } from './commands.js';
import { celeryNodeName, REPLY_EXCHANGE, tqNamesOf, type CeleryChannels } from './names.js';
import { toCeleryReply } from './replies.js';
import type { Subscriber } from './subscriber.js';
import { decodeTransient, encodeTransient } from './transient.js';

/** Requests kept for readers that are behind; older ones are dropped (a worker reads every second). */
const BUFFER_CAP = 1000;
/** A request whose reply never came is forgotten after this long. */
const PENDING_MS = 60_000;

/** Where a reply goes: the reply exchange, the client's routing key (its oid) and the request's ticket. */
interface Route {
  exchange: string;
  routingKey: string;
  ticket: string;
}

/** What the pidbox answers itself, without the worker: requests about the channel rather than the worker. */
export interface PidboxHooks {
  /** Celery's `heartbeat` command (a Receiver's wakeup): send a heartbeat event now. */
  onHeartbeatRequest(): void;
  /** This process's node name once it is a worker (matched against a request's pattern), else null. */
  nodeName(): string | null;
}

/**
 * The worker's side of Celery's pidbox (kombu/pidbox.py Node): requests
 * arrive on the fanout channel and are kept in arrival order under a
 * sequence number (tq's control cursor); replies go back as kombu's Node
 * replies, to every queue the reply exchange routes the request's reply
 * routing key to.
 *
 * States: idle → listening (first readControl; what is published from then on is kept) → closed.
 */
export class PidboxServer {
  private listening: Promise<void> | undefined;
  private seq = 0;
  private readonly buffer: { seq: number; request: ControlRequest }[] = [];
  private readonly pending = new Map<string, { route: Route; command: ControlCommand; method: string; at: number }>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Subscriber,
    private readonly channels: CeleryChannels,
    private readonly clock: LamportClock,
    private readonly hooks: PidboxHooks,
  ) {}

  async read(cursor: string | null, waitMs: number, signal?: AbortSignal): Promise<{ cursor: string; requests: ControlRequest[] }> {
    this.listening ??= this.subscriber.subscribe(this.channels.pidbox, (_, raw) => this.receive(raw));
    await this.listening;
    if (cursor === null) return { cursor: String(this.seq), requests: [] };
    const after = Number(cursor);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const requests = this.buffer.filter((b) => b.seq > after).map((b) => b.request);
      const left = deadline - Date.now();
      if (requests.length > 0 || left <= 0 || signal?.aborted) return { cursor: String(requests.length > 0 ? this.seq : after), requests };
      await new Promise<void>((resolve) => {
        const done = () => (clearTimeout(timer), signal?.removeEventListener('abort', done), resolve());
        const timer = setTimeout(done, left);
        signal?.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
  }

  /** Sends a worker's answer to whoever asked, as `{node: reply}` with kombu's ticket header; tq's own answer rides along in a header. */
  async reply(reply: ControlReply): Promise<void> {
    const pending = this.pending.get(reply.requestId);
    if (!pending) return; // a cast (no reply wanted) or forgotten
    this.pending.delete(reply.requestId);
    const node = celeryNodeName(reply.hostname);
    const answer = { ok: reply.ok, data: reply.data };
    const body = pending.method === 'hello' ? helloReply(answer, this.clock.forward()) : toCeleryReply(pending.command, answer, process.pid);
    await this.send(pending.route, { [node]: body }, { tq_reply: answer });
  }

  private receive(raw: string): void {
    const message = decodeTransient(raw);
    if (!message || typeof message.body !== 'object' || message.body === null) return;
    const body = message.body as Record<string, unknown>;
    this.clock.adjust(message.headers.clock);
    if (!this.addressedToMe(body)) return;
    const call: CeleryCall = { method: String(body.method), arguments: isObject(body.arguments) ? body.arguments : {} };
    const replyTo = isObject(body.reply_to) ? body.reply_to : null;
    const ticket = typeof body.ticket === 'string' ? body.ticket : randomUUID();
    const route: Route | null =
      replyTo !== null && typeof replyTo.routing_key === 'string' ? { exchange: String(replyTo.exchange ?? REPLY_EXCHANGE), routingKey: replyTo.routing_key, ticket } : null;

    if (call.method === 'heartbeat') return this.hooks.onHeartbeatRequest();
    if (call.method === 'clock') {
      const node = this.hooks.nodeName();
      if (route && node) void this.send(route, { [node]: { clock: this.clock.current } }, {}).catch(() => undefined);
      return;
    }
    // tq's own requests carry tq's command, so a tq worker answers a tq client exactly; Python workers ignore it.
    const command = tqCommand(message.headers.tq_command) ?? fromCeleryCall(call);
    if (!command) {
      const node = this.hooks.nodeName();
      if (route && node) {
        void this.send(route, { [node]: { error: `'${call.method}' is not a command tq workers answer` } }, {}).catch(() => undefined);
      }
      return;
    }
    const destination = Array.isArray(body.destination) ? body.destination.filter((d): d is string => typeof d === 'string').flatMap(tqNamesOf) : [];
    const request: ControlRequest = { id: ticket, command, destination, sentAt: new Date().toISOString() };
    if (route) this.remember(ticket, route, command, call.method);
    this.buffer.push({ seq: ++this.seq, request });
    if (this.buffer.length > BUFFER_CAP) this.buffer.shift();
    this.wake?.();
  }

  /** kombu's Node.handle_message: a destination list, else a pattern with its matcher, else everyone. */
  private addressedToMe(body: Record<string, unknown>): boolean {
    if (Array.isArray(body.destination) && body.destination.length > 0) return true; // the agent checks the names
    if (typeof body.pattern === 'string' && body.pattern && typeof body.matcher === 'string') {
      const node = this.hooks.nodeName();
      return node !== null && matches(node, body.pattern, body.matcher);
    }
    return true;
  }

  private remember(ticket: string, route: Route, command: ControlCommand, method: string): void {
    const now = Date.now();
    for (const [id, p] of this.pending) if (p.at < now - PENDING_MS) this.pending.delete(id);
    this.pending.set(ticket, { route, command, method, at: now });
  }

  /** Publishes to a direct exchange as kombu's virtual transport does: LPUSH to each queue bound under the routing key. */
  private async send(to: Route, body: unknown, headers: Record<string, unknown>): Promise<void> {
    const queues = (await this.redis.smembers(this.channels.binding(to.exchange)))
      .filter((member) => member.split(SEP)[0] === to.routingKey)
      .map(queueOfBinding)
      .filter((q): q is string => q !== null);
    if (queues.length === 0) return; // the client has stopped waiting and unbound its queue
    const envelope = encodeTransient(body, { ticket: to.ticket, clock: this.clock.forward(), ...headers }, to.exchange, to.routingKey);
    await Promise.all(queues.map((q) => this.redis.lpush(this.channels.queueKey(q), envelope)));
  }
}

/**
 * The answer to a starting Celery worker's mingle ('hello'): the ids this
 * worker holds revoked, as Celery's LimitedSet data (id → float time), and
 * the clock, so a Python worker started later skips what tq revoked.
 */
function helloReply(answer: { ok: boolean; data: unknown }, clock: number): unknown {
  if (!answer.ok || !Array.isArray(answer.data)) return { error: String(answer.data) };
  // Celery refuses an int here: keep a fraction, which JSON writes and Python reads as a float.
  let at = Date.now() / 1000;
  if (Number.isInteger(at)) at += 0.001;
  return { revoked: Object.fromEntries(answer.data.map((id) => [String(id), at])), clock };
}

function tqCommand(value: unknown): ControlCommand | null {
  return isObject(value) && typeof value.verb === 'string' ? (value as unknown as ControlCommand) : null;
}

/** kombu.matcher: 'glob' (fnmatch) or 'pcre' (re.match, anchored at the start). */
function matches(node: string, pattern: string, matcher: string): boolean {
  if (pattern.length > 200) return false;
  if (matcher === 'glob') {
    const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`^${re}$`).test(node);
  }
  if (matcher === 'pcre') {
    try {
      return new RegExp(`^(?:${pattern})`).test(node);
    } catch {
      return false;
    }
  }
  return false;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
