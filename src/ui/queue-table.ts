import type { QueueStats } from '../runtime/brokers/broker.js';
import { safeText } from '../runtime/safe-text.js';

/** Queue depths as an aligned plain-text table. */
export function renderQueueTable(stats: readonly QueueStats[]): string {
  if (stats.length === 0) return '(no queues: nothing waiting, and no online worker consumes one)';
  const header = ['QUEUE', 'READY', 'SCHEDULED', 'LEASED', 'DEAD', 'OLDEST READY'];
  const rows = stats.map((s) => [safeText(s.queue, 200), String(s.ready), count(s.scheduled), count(s.leased), String(s.dead), s.oldestReadyAgeMs === null ? '-' : formatAge(s.oldestReadyAgeMs)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
}

/** A count a broker may not know (null: RabbitMQ cannot count it): '-'. */
function count(n: number | null): string {
  return n === null ? '-' : String(n);
}
