import { randomBytes } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../config.js';
import { deadLetterBody, isJsonObject, peekMessage, truncate, type Envelope } from '../../message.js';
import type { Broker, BrokerOptions, FinishOutcome, Lease, PurgedTask, QueueStats, ReadyTaskCount, Reservation, ReserveRequest, ScheduledMessage } from '../broker.js';
import type { DeadLetter } from '../../cluster.js';
import type { Acks } from './acks.js';
import { Consumer, type AckableDelivery } from './consumer.js';
import { Declarations } from './declarations.js';
import { Listings } from './listings.js';
import { PrefetchWindow } from './prefetch.js';
import { Publisher, type Outgoing } from './publisher.js';
import { AmqpSession } from './session.js';
import { ladderEntry, namesFor, type Names } from './topology.js';

/** A delayed message that arrives this much before its eta goes round the ladder again. */
const EARLY_MS = 5;

/**
 * The RabbitMQ broker: the message flow only (results, revocations, events
 * and the rest live in a backend; see DESIGN.md). Durable quorum queues,
 * persistent messages, publisher confirms, manual acks.
 *
 * A lease is a delivery on the consuming channel: RabbitMQ keeps the message
 * until this process acks it, and hands it to another consumer when the
 * channel or connection closes (a dead worker, a frozen one cut by missed
 * heartbeats, consumer_timeout). A lease token names the channel's epoch and
 * the delivery tag, so an ack for a delivery of a channel that has since
 * closed is refused here instead of being sent on a channel that never made
 * that delivery.
 *
 * Not atomic on RabbitMQ (two steps, in this order, so a crash between them
 * repeats work instead of losing it): retry and dead-letter publish the new
 * copy, then ack the old one; requeue-dead publishes, then acks the letter.
 *
 * States: created → open (connect) → closed.
 */
export class AmqpBroker implements Broker {
  readonly kind = 'amqp';
  readonly keepsState = false;
  readonly displayUrl: string;
  private readonly session: AmqpSession;
  private readonly names: Names;
  private readonly declarations: Declarations;
  private readonly publisher: Publisher;
  private readonly consumer: Consumer;
  private readonly listings: Listings;
  /** Deliveries reserved and not yet settled, by lease token, with the acks of the channel they came on. */
  private readonly held = new Map<string, { message: ConsumeMessage; queue: string; epoch: number; acks: Acks }>();
  private readonly nonce = randomBytes(4).toString('base64url');
  private readonly deadBodyMax: number;
  private readonly prefetch = new PrefetchWindow();
  /** Queues this process has used, plus the configured ones: what listings and stats look at. */
  private readonly knownQueues: Set<string>;

  constructor(options: BrokerOptions) {
    this.session = new AmqpSession(options.url, options.amqpTls);
    this.displayUrl = this.session.displayUrl;
    this.names = namesFor(options.keyPrefix || 'tq:');
    this.declarations = new Declarations(this.session, this.names);
    this.publisher = new Publisher(this.session);
    this.consumer = new Consumer(this.session, this.declarations, this.names, (d) => this.admit(d));
    this.listings = new Listings(this.session, this.names, this.declarations, this.publisher);
    this.deadBodyMax = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.knownQueues = new Set(options.queues ?? []);
    this.session.onConsumeLost = () => {
      this.held.clear();
      this.consumer.lost();
    };
    this.session.onRestored = () => this.declarations.reset();
  }

  async connect(): Promise<void> {
    await this.session.open();
  }

  async close(): Promise<void> {
    await this.consumer.stop().catch(() => undefined);
    await this.session.close();
  }

  /** Publishes every message and resolves once RabbitMQ confirmed them all; rejects when one was refused. RabbitMQ cannot tell a known id: none is skipped. */
  async enqueue(envelopes: readonly Envelope[]): Promise<string[]> {
    await this.publishAll(envelopes.map((e) => ({ envelope: e, body: e.body })));
    return [];
  }

  /**
   * Takes up to `max` deliveries waiting in this process, consuming the asked
   * queues first if need be; when none waits, sleeps until one is pushed (no
   * polling), `waitMs` passes, or `signal` aborts.
   */
  async reserve(request: ReserveRequest): Promise<Reservation[]> {
    if (request.max <= 0 || request.queues.length === 0) return [];
    const deadline = Date.now() + request.waitMs;
    for (const q of request.queues) this.knownQueues.add(q);
    for (;;) {
      const left = deadline - Date.now();
      if (!(await this.session.whenOpen(left, request.signal))) return [];
      const prefetch = this.prefetch.next(request.window ?? request.max, this.held.size + request.max);
      await this.consumer.ensure(request.queues, prefetch, Math.max(0, deadline - Date.now()));
      const taken = this.consumer.inbox.take(request.queues, request.max).map((d) => this.lease(d));
      if (taken.length > 0 || Date.now() >= deadline || request.signal?.aborted) return taken;
      await this.consumer.inbox.wait(deadline - Date.now(), request.signal);
    }
  }

  /**
   * Acks a delivery (sent with the other acks of this turn, see Acks); with
   * `next`, hands back deliveries already waiting here. Refused for a lease of
   * a closed channel.
   */
  async ack(lease: Lease, next?: ReserveRequest): Promise<FinishOutcome> {
    const accepted = await this.ackHeld(lease);
    const more = accepted && next && next.max > 0 ? this.consumer.inbox.take(next.queues, next.max).map((d) => this.lease(d)) : [];
    return { accepted, next: more };
  }

  /** Publishes the new copy (delayed through the ladder when due later), then acks the old. Fenced. */
  async retry(lease: Lease, envelope: Envelope): Promise<boolean> {
    if (!this.holds(lease)) return false;
    await this.publishAll([{ envelope, body: envelope.body }]);
    return this.ackHeld(lease);
  }

  /** Hands deliveries back to their queues at once (nack with requeue); RabbitMQ keeps their place. */
  async release(leases: readonly Lease[]): Promise<number> {
    let n = 0;
    for (const lease of leases) if (this.nackHeld(lease)) n++;
    return n;
  }

  /** Copies the message into its queue's dead letters with the reason (confirmed), then acks it. Fenced. */
  async deadLetter(lease: Lease, reason: string): Promise<boolean> {
    const held = this.held.get(lease.token);
    if (!held || !this.holds(lease)) return false;
    const queue = held.queue;
    const headers = { 'x-tq-reason': truncate(reason, 1000), 'x-tq-dead-at': Date.now(), 'x-tq-queue': queue };
    const body = deadLetterBody(held.message.content.toString('utf8'), this.deadBodyMax);
    await this.declarations.queue(queue);
    await this.publisher.publish([{ exchange: '', routingKey: this.names.dead(queue), body, options: { persistent: true, messageId: lease.id, headers } }]);
    return this.ackHeld(lease);
  }

  /** Nothing to renew on RabbitMQ (the channel is the lease); returns the leases whose channel has closed. */
  async extendLeases(leases: readonly Lease[]): Promise<Lease[]> {
    return leases.filter((l) => !this.holds(l));
  }

  /** Removes ready messages (never unacked or delayed ones) and returns them per queue. */
  async purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>> {
    return this.listings.purge(queues);
  }

  /** RabbitMQ cannot take a message out of a queue by id: none is removed (a revoked one is skipped where it is received). */
  async removeWaiting(): Promise<string[]> {
    return [];
  }

  /** RabbitMQ cannot read a queue without taking from it (and a hand-back counts toward the delivery limit). */
  async peekReady(): Promise<ReadyTaskCount[]> {
    return [];
  }

  /**
   * Depth per queue: ready (its bands' message counts) and dead. RabbitMQ's
   * protocol tells neither unacked counts nor ages, and delayed messages sit
   * in the shared ladder, so leased, scheduled and oldest wait are null here.
   */
  async stats(queues?: readonly string[]): Promise<QueueStats[]> {
    return this.listings.stats([...(queues ?? this.knownQueues)].sort());
  }

  async listScheduled(max: number): Promise<ScheduledMessage[]> {
    return this.listings.scheduled(max);
  }

  async listDead(max: number, queues: readonly string[] = []): Promise<DeadLetter[]> {
    return this.listings.dead(this.lookIn(queues), max);
  }

  async requeueDead(ids?: readonly string[], queues: readonly string[] = []): Promise<number> {
    return this.listings.requeueDead(this.lookIn(queues), ids, (body) => isJsonObject(body), (queue, body) => this.readyCopy(queue, body));
  }

  /** The queues a listing looks at: the ones asked for, the configured ones and the ones this process used. */
  private lookIn(queues: readonly string[]): string[] {
    return [...new Set([...queues, ...this.knownQueues])].sort();
  }

  private async publishAll(items: { envelope: Envelope; body: string }[]): Promise<void> {
    const queues = new Set(items.map((i) => i.envelope.queue));
    // Delays count from before the declarations. Counted from after them (the first delayed send
    // declares the whole ladder), a retry's short countdown could be used up by the declarations
    // and its copy delivered while the worker still held the attempt it replaces, which then hung.
    const now = Date.now();
    const delayed = items.some((i) => (i.envelope.etaMs ?? 0) > now);
    await Promise.all([...queues].map((q) => this.declarations.queue(q)));
    if (delayed) await this.declarations.ladder();
    for (const q of queues) this.knownQueues.add(q);
    await this.publisher.publish(items.map(({ envelope, body }) => this.outgoing(envelope, body, now)));
  }

  private outgoing(e: Envelope, body: string, now: number): Outgoing {
    const band = this.names.band(e.queue, e.priority);
    const options = { persistent: true, messageId: e.id, contentType: 'application/json', contentEncoding: 'utf-8', timestamp: Math.floor(now / 1000), headers: { 'x-tq-queue': e.queue, 'x-tq-eta': e.etaMs ?? 0 } };
    if (!e.etaMs || e.etaMs <= now) return { exchange: '', routingKey: band, body, options };
    const { level, routingKey } = ladderEntry(e.etaMs - now, band);
    return { exchange: this.names.ladder(level), routingKey, body, options };
  }

  /** A dead letter's body as a ready message of its queue again. */
  private readyCopy(queue: string, body: string): Outgoing {
    const { priority } = peekMessage(body);
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return this.outgoing({ id: typeof id === 'string' ? id : '', queue, priority, etaMs: null, body }, body, Date.now());
  }

  /** Whether a delivery may be reserved: one that came out of the ladder early (a delay past one trip) goes round again. */
  private admit(d: AckableDelivery): boolean {
    const eta = Number(d.message.properties.headers?.['x-tq-eta'] ?? 0);
    if (!(eta > Date.now() + EARLY_MS)) return true;
    const { acks } = d;
    const envelope = { id: String(d.message.properties.messageId ?? ''), queue: d.queue, priority: d.priority, etaMs: eta, body: d.message.content.toString('utf8') };
    // Its ack waits for the copy's confirm; a channel closed meanwhile refuses it (RabbitMQ has the delivery back).
    void this.publishAll([{ envelope, body: envelope.body }])
      .then(
        () => acks.ack(d.message.fields.deliveryTag),
        () => acks.nack(d.message, true), // not re-delayed: back to its band, looked at again
      )
      .catch(() => undefined);
    return false;
  }

  private lease(d: AckableDelivery): Reservation {
    const epoch = this.session.consumeEpoch;
    const token = `${this.nonce}.${epoch}.${d.message.fields.deliveryTag}`;
    this.held.set(token, { message: d.message, queue: d.queue, epoch, acks: d.acks });
    const id = d.message.properties.messageId ? String(d.message.properties.messageId) : `amqp:${token}`;
    const deliveries = Number(d.message.properties.headers?.['x-delivery-count'] ?? 0) + 1;
    return { id, queue: d.queue, body: d.message.content.toString('utf8'), lease: { id, token }, deliveries };
  }

  private holds(lease: Lease): boolean {
    const held = this.held.get(lease.token);
    return held !== undefined && held.epoch === this.session.consumeEpoch && this.consumer.current !== undefined;
  }

  /** Takes a delivery out of the held set for its ack or nack; undefined when its channel is gone. */
  private unhold(lease: Lease): { message: ConsumeMessage; acks: Acks } | undefined {
    const held = this.held.get(lease.token);
    if (!held || !this.holds(lease)) return undefined;
    this.held.delete(lease.token);
    return held;
  }

  /** Acks a held delivery on the channel it came on (with this turn's other acks); false when that channel is gone. */
  private async ackHeld(lease: Lease): Promise<boolean> {
    const held = this.unhold(lease);
    return held !== undefined && (await held.acks.ack(held.message.fields.deliveryTag));
  }

  /** Hands a held delivery back to its queue; false when its channel is gone (RabbitMQ has it back anyway). */
  private nackHeld(lease: Lease): boolean {
    const held = this.unhold(lease);
    return held !== undefined && held.acks.nack(held.message, true);
  }
}
