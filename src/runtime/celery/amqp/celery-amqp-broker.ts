import type { Channel, ConsumeMessage } from 'amqplib';
import type { DeadLetter } from '../../cluster.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../config.js';
import { Inbox, type Delivery } from '../../brokers/amqp/inbox.js';
import { Publisher } from '../../brokers/amqp/publisher.js';
import { AmqpSession } from '../../brokers/amqp/session.js';
import { bodyPreview, type Broker, type BrokerOptions, type FinishOutcome, type Lease, type PurgedTask, type QueueStats, type ReadyTaskCount, type Reservation, type ReserveRequest, type ScheduledMessage } from '../../brokers/broker.js';
import { deadLetterBody, truncate, type Envelope } from '../../message.js';
import { HeldEtas } from '../redis/held-etas.js';
import type { CeleryDecode } from '../wire.js';
import { CeleryConsumer } from './consumer.js';
import { CeleryAmqpListings } from './listings.js';
import { celeryAmqpNames, CeleryDeclarations, type CeleryAmqpNames } from './layout.js';
import { DeliveryLeases } from './leases.js';
import { celeryPublish, decodeDelivery, republishOptions } from './messages.js';

/**
 * A held eta message is published again (then the old delivery acked) once
 * held this long: RabbitMQ closes a channel that keeps a delivery unacked
 * past consumer_timeout (30 min by default), which would hand back every
 * lease of this worker at once.
 */
const HOLD_REFRESH_MS = 10 * 60_000;
const REFRESH_CHECK_MS = 30_000;

/**
 * Celery's message flow on RabbitMQ in Celery's own layout (layout.ts), shared
 * with Python Celery workers and clients: durable classic queues, Celery's
 * headers and properties (messages.ts), publisher confirms, manual acks,
 * channel-wide prefetch.
 *
 * A lease is a delivery on the consuming channel, as in tq's own RabbitMQ
 * broker: RabbitMQ keeps the message until this process acks it and hands it
 * to another consumer when the channel or connection closes. Tokens name the
 * channel's epoch and delivery tag, so an ack for a closed channel's delivery
 * is refused here.
 *
 * Eta/countdown: Celery's layout has no delay of its own; the eta header is
 * the delay and whoever takes the message holds it until then (a Python
 * worker does the same). tq holds such deliveries unacked, so RabbitMQ still
 * has them: a worker killed while holding them loses none (they are
 * redelivered when its connection drops), and a warm close hands them back
 * at once. Held etas raise the prefetch so they never starve due work, and a
 * long-held one is republished every HOLD_REFRESH_MS (consumer_timeout).
 *
 * Not atomic (two steps, so a crash between them repeats, never loses):
 * retry and dead-letter publish the new copy, confirmed, then ack the old.
 *
 * States: created → open (connect) → consuming (first reserve) → closed.
 */
export class CeleryAmqpBroker implements Broker {
  readonly kind = 'amqp';
  readonly keepsState = false;
  readonly displayUrl: string;
  private readonly session: AmqpSession;
  private readonly names: CeleryAmqpNames;
  private readonly declarations: CeleryDeclarations;
  private readonly publisher: Publisher;
  private readonly consumer: CeleryConsumer;
  private readonly listings: CeleryAmqpListings;
  private readonly inbox = new Inbox();
  private readonly decoded = new WeakMap<ConsumeMessage, CeleryDecode>();
  private readonly leases: DeliveryLeases;
  private readonly etas = new HeldEtas();
  private readonly maxBytes: number;
  private readonly knownQueues: Set<string>;
  private window = 1;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(options: BrokerOptions) {
    this.session = new AmqpSession(options.url, options.amqpTls);
    this.displayUrl = this.session.displayUrl;
    this.names = celeryAmqpNames(options.keyPrefix);
    this.declarations = new CeleryDeclarations(this.session, this.names);
    this.publisher = new Publisher(this.session);
    this.consumer = new CeleryConsumer(this.session, this.declarations, (q, m) => this.admit(q, m), (ch, q) => this.handBackWaiting(ch, q));
    this.leases = new DeliveryLeases(this.session, () => this.consumer.current);
    this.listings = new CeleryAmqpListings(this.session, this.names, this.declarations, this.publisher);
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.knownQueues = new Set(options.queues ?? []);
    this.session.onConsumeLost = () => {
      // RabbitMQ has every unacked delivery of that channel back, held etas included.
      this.leases.clear();
      this.etas.drain();
      this.inbox.clear();
      this.consumer.lost();
    };
    this.session.onRestored = () => this.declarations.reset();
  }

  async connect(): Promise<void> {
    await this.session.open();
  }

  /** Stops consuming and closes the connection: every delivery not acked (held etas too) goes back to its queue at once. */
  async close(): Promise<void> {
    clearInterval(this.refreshTimer);
    await this.consumer.stop().catch(() => undefined);
    await this.session.close();
  }

  /** Publishes Celery messages (confirmed) to the default exchange, routing key = queue, as Celery's producer does. Cannot tell known ids: adds every one. */
  async enqueue(envelopes: readonly Envelope[]): Promise<string[]> {
    await this.publishAll(envelopes);
    return [];
  }

  /**
   * Due held etas first, then deliveries waiting here, consuming the asked
   * queues if need be; when none waits, sleeps until a delivery is pushed or a
   * held eta falls due (no polling), `waitMs` passes, or `signal` aborts.
   */
  async reserve(request: ReserveRequest): Promise<Reservation[]> {
    if (request.max <= 0 || request.queues.length === 0) return [];
    const deadline = Date.now() + request.waitMs;
    this.window = Math.max(1, request.window ?? request.max);
    for (const q of request.queues) this.knownQueues.add(q);
    this.startRefresh();
    for (;;) {
      if (!(await this.session.whenOpen(deadline - Date.now(), request.signal))) return [];
      await this.consumer.ensure(request.queues, this.window + this.etas.list().length, Math.max(0, deadline - Date.now()));
      const taken = this.takeReady(request.queues, request.max);
      if (taken.length > 0 || Date.now() >= deadline || request.signal?.aborted) return taken;
      await this.inbox.wait(Math.min(deadline - Date.now(), this.etas.msUntilNextDue()), request.signal);
    }
  }

  /** Acks a delivery; with `next`, hands back what is already ready here. Refused for a lease of a closed channel. */
  async ack(lease: Lease, next?: ReserveRequest): Promise<FinishOutcome> {
    const accepted = this.leases.ack(lease);
    const more = accepted && next && next.max > 0 ? this.takeReady(next.queues, next.max) : [];
    return { accepted, next: more };
  }

  /** Publishes the new Celery message (its eta the delay), confirmed, then acks the old. Fenced. */
  async retry(lease: Lease, envelope: Envelope): Promise<boolean> {
    if (!this.leases.holds(lease)) return false;
    await this.publishAll([envelope]);
    return this.leases.ack(lease);
  }

  /** Hands deliveries back to their queue at once (nack, requeue): RabbitMQ keeps their place. */
  async release(leases: readonly Lease[]): Promise<number> {
    let n = 0;
    for (const lease of leases) if (this.leases.settle(lease, (channel, message) => channel.nack(message, false, true))) n++;
    return n;
  }

  /** Copies the message as it arrived into tq's dead-letter queue with the reason (confirmed), then acks it. Fenced. */
  async deadLetter(lease: Lease, reason: string): Promise<boolean> {
    const held = this.leases.get(lease);
    if (!held || !this.leases.holds(lease)) return false;
    const notes = { 'x-tq-reason': truncate(reason, 1000), 'x-tq-dead-at': Date.now(), 'x-tq-queue': held.queue };
    // Whole and byte-exact when it could have run (a binary body stays binary); a larger one is cut.
    const content = held.message.content;
    const body = content.length <= this.maxBytes ? content : deadLetterBody(content.toString('utf8'), this.maxBytes);
    await this.declarations.queue(held.queue);
    await this.publisher.publish([{ exchange: '', routingKey: this.names.dead(held.queue), body, options: { ...republishOptions(held.message, notes), messageId: lease.id } }]);
    return this.leases.ack(lease);
  }

  /** Nothing to renew (the channel is the lease); returns the leases whose channel has closed. */
  async extendLeases(leases: readonly Lease[]): Promise<Lease[]> {
    return leases.filter((l) => !this.leases.holds(l));
  }

  /** Only eta messages this process holds can be taken out by id (acked); RabbitMQ cannot remove a queued one. */
  async removeWaiting(ids: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const r of this.etas.remove(ids)) if (this.leases.ack(r.lease)) removed.push(r.id);
    return removed;
  }

  purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>> {
    return this.listings.purge(queues);
  }

  /** RabbitMQ cannot read a queue without taking from it (and a hand-back marks a message redelivered). */
  async peekReady(): Promise<ReadyTaskCount[]> {
    return [];
  }

  stats(queues?: readonly string[]): Promise<QueueStats[]> {
    return this.listings.stats([...(queues ?? this.knownQueues)].sort());
  }

  /** Only the eta messages this process holds: on Celery's layout the others sit in workers' prefetch, where no one can list them. */
  async listScheduled(max: number): Promise<ScheduledMessage[]> {
    return this.etas
      .list()
      .sort((a, b) => a.etaMs - b.etaMs)
      .slice(0, max)
      .map(({ reservation: r, etaMs }) => ({ id: r.id, queue: r.queue, eta: new Date(etaMs).toISOString(), body: bodyPreview(r.body) }));
  }

  listDead(max: number, queues: readonly string[] = []): Promise<DeadLetter[]> {
    return this.listings.dead(this.lookIn(queues), max);
  }

  requeueDead(ids?: readonly string[], queues: readonly string[] = []): Promise<number> {
    return this.listings.requeueDead(this.lookIn(queues), ids);
  }

  private lookIn(queues: readonly string[]): string[] {
    return [...new Set([...queues, ...this.knownQueues])].sort();
  }

  private async publishAll(envelopes: readonly Envelope[]): Promise<void> {
    const queues = new Set(envelopes.map((e) => e.queue));
    await Promise.all([...queues].map((q) => this.declarations.queue(q)));
    for (const q of queues) this.knownQueues.add(q);
    await this.publisher.publish(
      envelopes.map((e) => {
        const { body, options } = celeryPublish(e, this.maxBytes);
        return { exchange: '', routingKey: e.queue, body, options };
      }),
    );
  }

  /** A pushed delivery: held here until its eta when that is still ahead, else ready for a reserve. */
  private admit(queue: string, message: ConsumeMessage): void {
    const decoded = decodeDelivery(queue, message);
    this.decoded.set(message, decoded);
    const etaMs = decoded.ok && decoded.message.eta ? Date.parse(decoded.message.eta) : 0;
    if (etaMs > Date.now()) {
      this.etas.hold(this.lease({ queue, priority: 0, message }), etaMs);
      this.consumer.setPrefetch(this.window + this.etas.list().length);
      this.inbox.wake(); // a waiting reserve recomputes how long to sleep
      return;
    }
    this.inbox.push({ queue, priority: decoded.ok ? decoded.message.priority : 0, message });
  }

  private takeReady(queues: readonly string[], max: number): Reservation[] {
    const due = this.etas.due(queues, max);
    if (due.length > 0) this.consumer.setPrefetch(this.window + this.etas.list().length);
    return [...due, ...this.inbox.take(queues, max - due.length).map((d) => this.lease(d))];
  }

  private lease(d: Delivery): Reservation {
    return this.leases.lease(d, this.decoded.get(d.message) ?? decodeDelivery(d.queue, d.message));
  }

  /** A cancelled consumer's waiting deliveries go back to RabbitMQ, in place. */
  private handBackWaiting(channel: Channel, queue: string): void {
    for (const d of this.inbox.drop(queue)) channel.nack(d.message, false, true);
  }

  /** Republishes eta messages held past HOLD_REFRESH_MS and acks the old deliveries (see HOLD_REFRESH_MS). */
  private startRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setInterval(() => void this.refreshHeld().catch(() => undefined), REFRESH_CHECK_MS);
    this.refreshTimer.unref();
  }

  private async refreshHeld(): Promise<void> {
    const old = this.etas.list().filter(({ reservation: r }) => Date.now() - (this.leases.get(r.lease)?.since ?? Date.now()) > HOLD_REFRESH_MS);
    for (const { reservation: r } of old) {
      const held = this.leases.get(r.lease);
      if (!held || !this.leases.holds(r.lease)) continue;
      try {
        await this.publisher.publish([{ exchange: '', routingKey: held.queue, body: held.message.content, options: republishOptions(held.message) }]);
      } catch {
        continue; // still held; the next check tries again
      }
      this.etas.remove([r.id]);
      this.leases.ack(r.lease);
    }
  }
}
