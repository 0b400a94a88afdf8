/**
 * Durations as beat entries write them: '30s', '5m', '2h', '1d', '250ms', or a
 * number. What a bare number means differs by field (see config.ts: `every` is
 * milliseconds, `expires` is seconds), so the caller says which unit it takes.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i;

/** Milliseconds for a duration, or null when it is not one (the caller names the field in its error). */
export function parseDuration(value: unknown, bareNumberUnit: 'ms' | 's'): number | null {
  let ms: number;
  if (typeof value === 'number') {
    ms = bareNumberUnit === 's' ? value * 1000 : value;
  } else if (typeof value === 'string') {
    const match = DURATION.exec(value);
    if (match) ms = Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!;
    else if (/^\s*\d+(\.\d+)?\s*$/.test(value)) ms = Number(value) * (bareNumberUnit === 's' ? 1000 : 1);
    else return null;
  } else {
    return null;
  }
  if (!Number.isFinite(ms) || ms <= 0) return null;
  return Math.round(ms);
}

/** '1d 2h', '30s', '250ms': the shortest exact way to say `ms`, for logs and `--list`. */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms / 1000;
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}
