import type { Redis } from 'ioredis';

export interface ChannelListener {
  /** Resolves on the next publish (or one since the last call), a reconnect, `timeoutMs` or abort. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  done(): void;
}

/**
 * Wakes waiting readers by pub/sub instead of polling: a final result is
 * published on its task's channel, a control request, a reply or a batch of
 * events on theirs. One subscriber connection serves every waiter of the
 * broker; a channel is subscribed while at least one caller waits on it.
 * Readers subscribe first and then read, so a publish in between is not missed.
 *
 * Messages published while the subscriber was reconnecting are lost, so every
 * waiter is woken on each (re)connect to look again.
 */
export class ChannelWaiter {
  private subscriber: Redis | undefined;
  private readonly wakers = new Map<string, Set<() => void>>();
  /** The SUBSCRIBE of each listened channel; a waiter must not read before it is acked. */
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(private readonly connect: () => Redis) {}

  /**
   * Subscribes to `channel`; the returned handle's `next()` resolves on the
   * next publish, a reconnect, `timeoutMs` or abort. Call `done()` when finished.
   */
  async listen(channel: string): Promise<ChannelListener> {
    const sub = this.ensureSubscriber();
    let wake: (() => void) | undefined;
    let woken = false;
    const waker = () => {
      woken = true;
      wake?.();
    };
    let set = this.wakers.get(channel);
    if (!set) {
      this.wakers.set(channel, (set = new Set()));
      this.subscribed.set(channel, sub.subscribe(channel));
    }
    set.add(waker);
    try {
      await this.subscribed.get(channel);
    } catch (err) {
      this.forget(channel, set, waker);
      throw err;
    }
    return {
      next: (timeoutMs, signal) =>
        new Promise<void>((resolve) => {
          if (woken || signal?.aborted) {
            woken = false;
            resolve();
            return;
          }
          const finish = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', finish);
            wake = undefined;
            woken = false;
            resolve();
          };
          const timer = setTimeout(finish, Math.min(timeoutMs, 2 ** 31 - 1));
          signal?.addEventListener('abort', finish, { once: true });
          wake = finish;
        }),
      done: () => this.forget(channel, set, waker),
    };
  }

  private forget(channel: string, set: Set<() => void>, waker: () => void): void {
    set.delete(waker);
    if (set.size === 0 && this.wakers.get(channel) === set) {
      this.wakers.delete(channel);
      this.subscribed.delete(channel);
      this.subscriber?.unsubscribe(channel).catch(() => undefined);
    }
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    for (const set of this.wakers.values()) for (const wake of set) wake();
    this.wakers.clear();
    this.subscribed.clear();
  }

  private ensureSubscriber(): Redis {
    if (this.subscriber) return this.subscriber;
    const sub = this.connect();
    sub.on('message', (channel: string) => {
      for (const wake of this.wakers.get(channel) ?? []) wake();
    });
    // ioredis resubscribes after a reconnect; what was published meanwhile is gone, so look again.
    sub.on('ready', () => {
      for (const set of this.wakers.values()) for (const wake of set) wake();
    });
    sub.connect().catch(() => undefined);
    this.subscriber = sub;
    return sub;
  }
}

/**
 * Runs `read` until it returns something worth returning (per `enough`), the
 * deadline passes or the signal aborts, sleeping on `channel` in between.
 */
export async function readOrWait<T>(
  channels: ChannelWaiter,
  channel: string,
  waitMs: number,
  read: () => Promise<T>,
  enough: (value: T) => boolean,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  let value = await read();
  if (enough(value) || waitMs <= 0 || signal?.aborted) return value;
  const listener = await channels.listen(channel);
  try {
    for (;;) {
      value = await read();
      const left = deadline - Date.now();
      if (enough(value) || left <= 0 || signal?.aborted) return value;
      await listener.next(left, signal);
    }
  } finally {
    listener.done();
  }
}
