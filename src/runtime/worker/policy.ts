import type { SerializedError } from '../errors.js';
import type { TaskOptions } from '../task.js';

/** How many times `currentTask().retry()` may retry when the task sets no `retries`. */
export const DEFAULT_EXPLICIT_RETRIES = 3;

export type FailureDecision = { retry: true; delayMs: number } | { retry: false; exhausted: boolean };

/**
 * Decides what a failed attempt leads to: another attempt after a delay, or
 * the end. `exhausted` means a retry policy existed and ran out (the message
 * then goes to dead letters as well as the FAILURE record).
 */
export function decideFailure(options: TaskOptions, retriesSoFar: number, error: SerializedError, explicit: { requested: boolean; countdown?: number }, random = Math.random): FailureDecision {
  const max = options.retries ?? (explicit.requested ? DEFAULT_EXPLICIT_RETRIES : 0);
  const wants = explicit.requested || (options.retries !== undefined && matches(options.autoretryFor, error));
  if (!wants) return { retry: false, exhausted: false };
  if (retriesSoFar >= max) return { retry: false, exhausted: true };
  const delayMs = explicit.countdown !== undefined ? explicit.countdown * 1000 : backoffDelayMs(options, retriesSoFar, random);
  return { retry: true, delayMs };
}

/** retryDelay × factor^retries, capped, with full jitter when asked (spreads a thundering herd). */
export function backoffDelayMs(options: TaskOptions, retriesSoFar: number, random = Math.random): number {
  const base = (options.retryDelay ?? 1) * 1000;
  if (!options.backoff) return base;
  const { factor = 2, max = 600, jitter = false } = options.backoff === true ? {} : options.backoff;
  const capped = Math.min(base * factor ** retriesSoFar, max * 1000);
  return jitter ? Math.round(random() * capped) : capped;
}

function matches(autoretryFor: TaskOptions['autoretryFor'], error: SerializedError): boolean {
  if (!autoretryFor || autoretryFor.length === 0) return true;
  // Errors cross threads and processes as names, so classes are compared by name too.
  return autoretryFor.some((c) => (typeof c === 'string' ? c : c.name) === error.name);
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** '10/s' → 100 (ms between starts). Throws on anything else. */
export function parseRateLimit(spec: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([smh])\s*$/.exec(spec);
  if (!match || Number(match[1]) <= 0) throw new Error(`invalid rate limit '${spec}': use N/s, N/m or N/h`);
  return UNITS[match[2]!]! / Number(match[1]);
}
