import type { Redis } from 'ioredis';

type Handler = (channel: string, message: string) => void;

/**
 * One pub/sub connection for Celery's channels (the pidbox, celeryev), made
 * on first use. A subscription resolves once Redis acknowledged it, so what
 * is published after that reaches the handler. What is published while the
 * connection is away is lost, as it is for Celery's own consumers: control
 * and events are fire-and-forget on kombu's Redis transport.
 */
export class Subscriber {
  private redis: Redis | undefined;
  private readonly exact = new Map<string, Handler>();
  private readonly patterns = new Map<string, Handler>();

  constructor(private readonly connect: () => Redis) {}

  async subscribe(channel: string, handler: Handler): Promise<void> {
    if (this.exact.has(channel)) return;
    this.exact.set(channel, handler);
    await this.open().subscribe(channel);
  }

  async psubscribe(pattern: string, handler: Handler): Promise<void> {
    if (this.patterns.has(pattern)) return;
    this.patterns.set(pattern, handler);
    await this.open().psubscribe(pattern);
  }

  close(): void {
    this.redis?.disconnect();
    this.redis = undefined;
    this.exact.clear();
    this.patterns.clear();
  }

  private open(): Redis {
    if (this.redis) return this.redis;
    const redis = this.connect();
    redis.on('message', (channel: string, message: string) => this.exact.get(channel)?.(channel, message));
    redis.on('pmessage', (pattern: string, channel: string, message: string) => this.patterns.get(pattern)?.(channel, message));
    redis.connect().catch(() => undefined);
    this.redis = redis;
    return redis;
  }
}
