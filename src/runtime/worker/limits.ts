import type { Backend } from '../brokers/backend.js';
import type { Ledger } from './ledger.js';
import type { RegisteredTask } from '../discovery.js';
import type { TaskMessage } from '../message.js';
import { delay } from './delay.js';
import { parseRateLimit } from './policy.js';
import type { Held } from './held.js';

/** Limits changed at run time (rate_limit, time_limit control commands); null removes a limit. */
export interface LimitOverrides {
  rateLimit?: string;
  softTimeLimit?: number | null;
  timeLimit?: number | null;
}

/** A rate-limited task holds its message this long at most before handing it back to the queue. */
const RATE_HOLD_MS = 1000;

/**
 * The time limit in ms that applies to this call: a run-time override (control
 * time_limit) wins, then the call's own (a message header), then the task's
 * option; 0 or null means none.
 */
export function limitMs(entry: RegisteredTask, message: TaskMessage, overrides: LimitOverrides | undefined, which: 'softTimeLimit' | 'timeLimit'): number | undefined {
  const override = overrides?.[which];
  const perCall = typeof message.headers[which] === 'number' ? (message.headers[which] as number) : undefined;
  const seconds = override === null ? undefined : (override ?? perCall ?? entry.task.options[which]);
  return seconds === undefined || seconds <= 0 ? undefined : seconds * 1000;
}

/**
 * Global rate limit: claims a start slot shared by every worker on the broker.
 * A slot within a second is waited for here; a later one puts the message back
 * in the queue, due at that slot, so it waits there and never fails. Returns
 * whether the task may start now.
 */
export async function waitForRateSlot(
  backend: Backend,
  ledger: Ledger,
  held: Held,
  priority: number,
  taskName: string,
  spec: string,
  call: <T>(fn: () => Promise<T>) => Promise<T | undefined>,
): Promise<boolean> {
  if (spec === '0') return true;
  const slot = await call(() => backend.acquireRateSlot(`task:${taskName}`, parseRateLimit(spec), RATE_HOLD_MS));
  if (slot?.granted) {
    await delay(slot.waitMs, held.abort.signal);
    return !held.abort.aborted;
  }
  const etaMs = Date.now() + (slot?.waitMs ?? RATE_HOLD_MS);
  const { id, queue, body } = held.reservation;
  await call(() => ledger.retry(held.reservation.lease, { id, queue, priority, etaMs, body }, null));
  return false;
}
