import { setTimeout as sleep } from 'node:timers/promises';

/** Wall-clock time and sleeping, injectable so tests can move time (and jump it back). */
export interface Clock {
  /** Wall-clock epoch ms; may jump either way. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};
