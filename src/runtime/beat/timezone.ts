/**
 * Offsets and DST transitions of one IANA timezone, with Intl only.
 * A "wall" time is a local date-time written as if it were UTC epoch ms.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const DAY_MS = 86_400_000;

/** Offset of `tz` from UTC at instant `ms`, in ms (+02:00 → 7_200_000). */
export function offsetAt(tz: string, ms: number): number {
  let format = formatters.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, format);
  }
  const whole = Math.floor(ms / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(whole))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - whole;
}

/** The local wall time of instant `ms` in `tz`. */
export function wallOf(tz: string, ms: number): number {
  return ms + offsetAt(tz, ms);
}

/** A stretch of time with one offset: instants [from, to). */
export interface OffsetSpan {
  from: number;
  to: number;
  offset: number;
}

/**
 * The spans of constant offset covering [from, to). Probes once a day (no
 * zone changes its offset twice within a day) and bisects each change to the
 * second.
 */
export function offsetSpans(tz: string, from: number, to: number): OffsetSpan[] {
  const spans: OffsetSpan[] = [];
  let start = from;
  let offset = offsetAt(tz, from);
  for (let probe = from; probe < to; ) {
    const nextProbe = Math.min(probe + DAY_MS, to);
    const probed = offsetAt(tz, nextProbe);
    if (probed !== offset) {
      let lo = probe; // offset here is `offset`
      let hi = nextProbe; // offset here differs
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2000) * 1000;
        if (mid <= lo) break;
        if (offsetAt(tz, mid) === offset) lo = mid;
        else hi = mid;
      }
      spans.push({ from: start, to: hi, offset });
      start = hi;
      offset = offsetAt(tz, hi);
    }
    probe = nextProbe;
  }
  spans.push({ from: start, to, offset });
  return spans;
}
