let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond asked:
 * a busy worker stamps several records and events within one millisecond,
 * and formatting a date is a visible share of a no-op task's cost.
 */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** The current time as an ISO-8601 string. */
export function isoNow(): string {
  return isoAt(Date.now());
}
