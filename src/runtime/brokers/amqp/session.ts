import { readFileSync } from 'node:fs';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { maskUrl, type RedisTlsOptions } from '../../config.js';
import { TqError } from '../../errors.js';

/**
 * `open()` gives up after this long, so `tq call` never hangs on a dead RabbitMQ. Longer than
 * Redis's 4 s: AMQP's handshake is several round trips through RabbitMQ's Erlang processes,
 * and on a busy 2-core machine (a full test run) it was seen to take over 4 s. A refused
 * port still fails at once.
 */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Heartbeat asked for unless the URL says (?heartbeat=N): a frozen peer is cut after about two of them. */
const DEFAULT_HEARTBEAT_S = 10;
/** Pause between reconnect attempts: first, and at most (so a worker consumes again within ~1 s). */
const FIRST_RECONNECT_MS = 100;
const MAX_RECONNECT_MS = 1_000;

type Kind = 'publish' | 'consume' | 'setup';

/**
 * One AMQP connection with reconnects, and the three channels tq uses on it:
 * a confirm channel for publishing, a channel for consuming (its deliveries
 * are the leases: closing it hands every unacked message back), and one for
 * declarations and listings, whose errors (a queue declared with other
 * arguments) must not close the other two.
 *
 * States: created → open ⇄ lost (reconnecting) → closed. Once open, a lost
 * connection is re-dialled forever, every FIRST_RECONNECT_MS..MAX_RECONNECT_MS;
 * callers wait for it in `channel()`. `consumeEpoch` grows each time the
 * consuming channel goes away, so a lease from an older epoch is known lost.
 */
export class AmqpSession {
  private model: ChannelModel | undefined;
  private state: 'created' | 'open' | 'lost' | 'closed' = 'created';
  private readonly channels = new Map<Kind, Promise<Channel | ConfirmChannel>>();
  private reopened: (() => void)[] = [];
  private lastError: Error | undefined;
  consumeEpoch = 0;
  /** Called when the consuming channel is gone (its deliveries are back in their queues). */
  onConsumeLost: (reason: string) => void = () => {};
  /** Called after a lost connection is back. */
  onRestored: () => void = () => {};

  constructor(
    private readonly url: string,
    private readonly tls: RedisTlsOptions | undefined,
  ) {}

  get displayUrl(): string {
    return maskUrl(this.url);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  async open(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed') throw closedError(this.displayUrl);
    try {
      this.attach(await dial(this.url, this.tls));
    } catch (err) {
      // A TLS file that cannot be read is the config's fault (exit 2), not RabbitMQ's.
      if (err instanceof TqError && err.code === 'CONFIG') throw err;
      throw unreachable(this.displayUrl, err);
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.channels.clear();
    const model = this.model;
    this.model = undefined;
    this.wakeWaiters();
    await model?.close().catch(() => undefined);
  }

  /**
   * The live channel of a kind, opened on first use. While the connection is
   * lost it waits for the reconnect up to `waitMs`, then throws
   * BROKER_UNREACHABLE.
   */
  async channel(kind: 'publish', waitMs?: number): Promise<ConfirmChannel>;
  async channel(kind: 'consume' | 'setup', waitMs?: number): Promise<Channel>;
  async channel(kind: Kind, waitMs = CONNECT_TIMEOUT_MS): Promise<Channel | ConfirmChannel> {
    if (this.state !== 'open' && !(await this.whenOpen(waitMs))) {
      throw new TqError('BROKER_UNREACHABLE', `RabbitMQ at ${this.displayUrl} is unreachable${this.lastError ? `: ${this.lastError.message}` : ''}`, {
        hint: 'check that rabbitmq-server is running; tq reconnects on its own once it is back',
      });
    }
    let channel = this.channels.get(kind);
    if (!channel) {
      const slot: { promise?: Promise<Channel | ConfirmChannel> } = {};
      channel = slot.promise = this.create(kind, slot);
      this.channels.set(kind, channel);
      channel.catch(() => this.forget(kind, slot.promise));
    }
    return channel;
  }

  private forget(kind: Kind, promise: Promise<Channel | ConfirmChannel> | undefined): void {
    if (this.channels.get(kind) === promise) this.channels.delete(kind);
  }

  /** Resolves true once open (at once when it is), false after `waitMs` or when closed. */
  whenOpen(waitMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.state === 'open') return Promise.resolve(true);
    if (this.state === 'closed' || waitMs <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve(this.state === 'open');
      };
      const timer = setTimeout(done, waitMs);
      signal?.addEventListener('abort', done, { once: true });
      this.reopened.push(done);
    });
  }

  /**
   * Runs `fn` on a channel of its own and closes it afterwards, which hands
   * back whatever `fn` took with basic.get and did not ack: how listings read
   * queues without removing anything.
   */
  async withPeekChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    await this.channel('setup'); // waits for the connection like any other use
    const channel = await this.model!.createChannel();
    channel.on('error', () => undefined);
    try {
      return await fn(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private async create(kind: Kind, slot: { promise?: Promise<Channel | ConfirmChannel> }): Promise<Channel | ConfirmChannel> {
    const model = this.model!;
    const channel = kind === 'publish' ? await model.createConfirmChannel() : await model.createChannel();
    // A channel error (a failed declare, an ack RabbitMQ refuses, consumer_timeout) closes only that channel.
    channel.on('error', (err: Error) => {
      this.lastError = err;
    });
    channel.on('close', () => {
      const current = this.channels.get(kind) === slot.promise;
      this.forget(kind, slot.promise);
      // A lost connection already counted its consuming channel; only a channel closed on its own counts here.
      if (kind === 'consume' && current && this.state === 'open') this.consumeLost(this.lastError?.message ?? 'channel closed');
    });
    return channel;
  }

  private attach(model: ChannelModel): void {
    this.model = model;
    this.state = 'open';
    model.on('error', (err: Error) => {
      this.lastError = err;
    });
    model.on('close', (err?: Error) => {
      if (this.model !== model || this.state === 'closed') return;
      this.lastError = err ?? this.lastError;
      this.model = undefined;
      this.state = 'lost';
      this.channels.clear();
      this.consumeLost(`connection lost${err ? `: ${err.message}` : ''}`);
      void this.redial();
    });
    this.wakeWaiters();
  }

  private consumeLost(reason: string): void {
    this.consumeEpoch++;
    this.onConsumeLost(reason);
  }

  private async redial(): Promise<void> {
    let pause = FIRST_RECONNECT_MS;
    while (this.state === 'lost') {
      await new Promise((resolve) => setTimeout(resolve, pause));
      if (this.state !== 'lost') return;
      try {
        const model = await dial(this.url, this.tls);
        if (this.state !== 'lost') {
          await model.close().catch(() => undefined);
          return;
        }
        this.attach(model);
        this.onRestored();
        return;
      } catch (err) {
        this.lastError = err as Error;
        pause = Math.min(pause * 2, MAX_RECONNECT_MS);
      }
    }
  }

  private wakeWaiters(): void {
    const waiters = this.reopened;
    this.reopened = [];
    for (const wake of waiters) wake();
  }
}

/**
 * One connection attempt, bounded by CONNECT_TIMEOUT_MS. Nagle's algorithm is
 * off: tq's traffic is small frames each waited on (a publish and its
 * confirm, an ack and the next delivery), which it would hold back.
 */
async function dial(url: string, tls: RedisTlsOptions | undefined): Promise<ChannelModel> {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(DEFAULT_HEARTBEAT_S));
  const socketOptions = { timeout: CONNECT_TIMEOUT_MS, noDelay: true, clientProperties: { connection_name: 'tq' }, ...(parsed.protocol === 'amqps:' ? tlsOptions(tls ?? {}) : {}) };
  let timer: NodeJS.Timeout | undefined;
  const attempt = amqp.connect(parsed.toString(), socketOptions);
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([attempt, late]);
  } catch (err) {
    // A connection that completes after the deadline is closed, not leaked.
    attempt.then((m) => m.close()).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function unreachable(displayUrl: string, err: unknown): TqError {
  const message = (err as Error).message ?? String(err);
  if (/ACCESS_REFUSED|403/.test(message)) {
    return new TqError('BROKER_UNREACHABLE', `RabbitMQ at ${displayUrl} refused the login: ${message}`, {
      hint: 'check the user and password in the URL (amqp://user:pass@host:5672/vhost)',
      cause: err,
    });
  }
  if (/NOT_ALLOWED|530/.test(message)) {
    return new TqError('BROKER_UNREACHABLE', `RabbitMQ at ${displayUrl} refused the virtual host: ${message}`, {
      hint: 'create it (rabbitmqctl add_vhost NAME) and give the user permissions on it (rabbitmqctl set_permissions -p NAME USER ".*" ".*" ".*")',
      cause: err,
    });
  }
  return new TqError('BROKER_UNREACHABLE', `cannot reach RabbitMQ at ${displayUrl}: ${message}`, {
    hint: 'check that rabbitmq-server is running and that the URL and TLS settings are right',
    cause: err,
  });
}

function closedError(displayUrl: string): TqError {
  return new TqError('BROKER_UNREACHABLE', `the RabbitMQ broker at ${displayUrl} is closed`, { userError: false });
}

function tlsOptions(tls: RedisTlsOptions): Record<string, unknown> {
  const read = (what: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TqError('CONFIG', `cannot read the RabbitMQ TLS ${what} file ${path}: ${(err as Error).message}`);
    }
  };
  return { ca: read('CA', tls.ca), cert: read('certificate', tls.cert), key: read('key', tls.key), rejectUnauthorized: tls.rejectUnauthorized ?? true };
}
