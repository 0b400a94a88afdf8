/** How figures read on the page; '–' wherever the broker could not tell. */
export const DASH = '–';

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : n.toLocaleString('en-US');
}

export function rate(n: number): string {
  return n === 0 ? '0' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US');
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return DASH;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)}K`;
  return `${Math.round(n / 1024 / 1024)}M`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return DASH;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s`;
  if (ms < 172_800_000) return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d${Math.floor((ms % 86_400_000) / 3_600_000)}h`;
}

export function ago(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? DASH : `${duration(ms)} ago`;
}

export function time(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return DASH;
  const d = new Date(epochMs);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)}Z`;
}

export function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

/** JSON for a <pre>: pretty, and never throws. */
export function json(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export const FINAL_STATES = ['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'];
export const STATES = ['PENDING', 'RECEIVED', 'STARTED', 'RETRY', ...FINAL_STATES];
