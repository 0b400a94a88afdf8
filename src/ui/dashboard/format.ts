/** Text helpers shared by the worker dashboard and `tq top`: fixed-width cells, durations, bars. */
import { OFFLINE_FOLD_MS } from '../../runtime/monitor/cluster-state.js';
import { safeText } from '../../runtime/safe-text.js';

/**
 * Cuts `text` to `width` columns, with an ellipsis when cut. Every cell of the
 * live views passes through here, so this is where text from tasks is
 * neutralised for them (safe-text.ts): line breaks become spaces, other
 * control characters visible escapes.
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const flat = safeText(text.replace(/[\r\n\t]+/g, ' '), width);
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

/** The one line that stands for the workers offline for long (the broker keeps them for a day). */
export function offlineSummary(count: number): string {
  return `+ ${count} offline for over ${OFFLINE_FOLD_MS / 60_000} min`;
}

/** One table row: each value fitted and padded to its width (right-aligned where `right`). */
export function row(values: readonly string[], widths: readonly number[], right: ReadonlySet<number> = new Set()): string {
  return values.map((v, i) => (right.has(i) ? fit(v, widths[i]!).padStart(widths[i]!) : fit(v, widths[i]!).padEnd(widths[i]!))).join(' ');
}

/** 0.4s, 12.3s, 4m05s, 2h10m. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const BLOCKS = ' ▁▂▃▄▅▆▇█';

/** A one-line chart of `values`, scaled to their maximum; the last `width` values. */
export function sparkline(values: readonly number[], width = values.length): string {
  const shown = values.slice(-width);
  const max = Math.max(0, ...shown);
  if (max === 0) return '▁'.repeat(shown.length);
  return shown.map((v) => BLOCKS[v <= 0 ? 1 : Math.max(1, Math.round((v / max) * (BLOCKS.length - 1)))]).join('');
}

/** [#####·····] 50% */
export function progressBar(fraction: number, width = 10): string {
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(Math.round(f * 100)).padStart(3)}%`;
}

export function bytes(n: number): string {
  if (n < 1024 * 1024) return `${Math.round(n / 1024)}K`;
  if (n < 1024 ** 3) return `${Math.round(n / 1024 / 1024)}M`;
  return `${(n / 1024 ** 3).toFixed(1)}G`;
}

/** A per-second rate: 0, 3.2, 41, 1.2k. */
export function perSecond(n: number): string {
  if (n === 0) return '0';
  if (n < 10) return n.toFixed(1);
  if (n < 1000) return String(Math.round(n));
  return `${(n / 1000).toFixed(1)}k`;
}

/** The first `lines` lines of a stack trace, indented. */
export function traceHead(stack: string | undefined, lines: number): string[] {
  if (!stack) return [];
  return stack.split('\n').slice(0, lines).map((l) => l.trimEnd());
}
