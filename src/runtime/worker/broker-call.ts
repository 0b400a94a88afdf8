import { delay } from './delay.js';

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs a broker call again while it fails (the broker is away, or refuses
 * writes, e.g. Redis out of memory), waiting 100 ms doubling to 2 s between
 * tries, for at most `withinMs` (one lease: after that the message is
 * someone else's). Reports each failure; resolves with the value or the last error.
 */
export async function retryWithin<T>(fn: () => Promise<T>, withinMs: number, onError: (err: unknown) => void): Promise<Attempt<T>> {
  const giveUpAt = Date.now() + withinMs;
  let wait = 100;
  for (;;) {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      onError(err);
      if (Date.now() + wait > giveUpAt) return { ok: false, error: err };
      await delay(wait);
      wait = Math.min(wait * 2, 2000);
    }
  }
}
