import type { ConsumeMessage } from 'amqplib';
import { PRIORITY_BANDS } from './topology.js';

/** A message RabbitMQ pushed to this process and that no reserve has taken yet. */
export interface Delivery {
  queue: string;
  priority: number;
  message: ConsumeMessage;
}

/**
 * Deliveries waiting in this process, by queue and priority band, FIFO in a
 * band. RabbitMQ pushes; `reserve` pulls from here in the broker contract's
 * order (queues in the order asked, band 0 first). Everything here is
 * unacked on the consuming channel, so it goes back to RabbitMQ if the
 * process dies or the channel closes.
 *
 * A waiter is woken by the next delivery (no polling).
 */
export class Inbox<D extends Delivery = Delivery> {
  private readonly bands = new Map<string, D[][]>();
  private waiters: (() => void)[] = [];
  size = 0;

  push(delivery: D): void {
    let bands = this.bands.get(delivery.queue);
    if (!bands) this.bands.set(delivery.queue, (bands = Array.from({ length: PRIORITY_BANDS }, () => [])));
    bands[delivery.priority]!.push(delivery);
    this.size++;
    this.wake();
  }

  /** Up to `max` deliveries of these queues, in contract order. */
  take(queues: readonly string[], max: number): D[] {
    const taken: D[] = [];
    for (const queue of queues) {
      const bands = this.bands.get(queue);
      if (!bands) continue;
      for (const band of bands) {
        while (band.length > 0 && taken.length < max) taken.push(band.shift()!);
        if (taken.length >= max) break;
      }
      if (taken.length >= max) break;
    }
    this.size -= taken.length;
    return taken;
  }

  /** Removes and returns every delivery of `queue` (its consumer was cancelled). */
  drop(queue: string): D[] {
    const bands = this.bands.get(queue) ?? [];
    this.bands.delete(queue);
    const all = bands.flat();
    this.size -= all.length;
    return all;
  }

  /** Forgets everything (the channel that held these deliveries is gone; RabbitMQ has them back). */
  clear(): void {
    this.bands.clear();
    this.size = 0;
    this.wake();
  }

  /** Resolves on the next push or clear, after `ms`, or on abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  /** Wakes every waiter (a reserve whose state changed: aborted elsewhere, connection back). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
