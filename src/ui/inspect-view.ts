import type { QueueStats, ScheduledMessage } from '../runtime/brokers/broker.js';
import type { DeadLetter, WorkerHeartbeat } from '../runtime/cluster.js';
import type { InspectAnswer, Named } from '../runtime/inspect.js';
import { recentWorkers } from '../runtime/monitor/cluster-state.js';
import { safeJson, safeLines, safeText } from '../runtime/safe-text.js';
import { duration, offlineSummary } from './dashboard/format.js';
import { renderQueueTable } from './queue-table.js';

/**
 * Plain text for `tq inspect` and `tq control`: one block per answering worker
 * (or the broker). Everything in an answer came from a worker or a message, so
 * all of it is neutralised and bounded (safe-text.ts).
 */
export function renderAnswers(verb: string, answers: InspectAnswer): string {
  if (answers.length === 0) return `no reply (no worker answered ${verb} within the timeout)`;
  return answers
    .map((a) => `-> ${safeText(a.source)}: ${a.ok ? 'OK' : 'ERROR'}\n${indent(a.ok ? body(verb, a.data) : safeLines(String(a.data)))}`)
    .join('\n');
}

function body(verb: string, data: unknown): string {
  if (verb === 'queues') return renderQueueTable(data as QueueStats[]);
  if (verb === 'dead') return listing(data as Named<DeadLetter>[], (d) => [`${head(d)} dead at ${safeText(d.deadAt)}`, `  reason: ${safeText(d.reason)}`, `  body:   ${safeText(d.body)}`]);
  if (verb === 'scheduled') return listing(data as Named<ScheduledMessage>[], (s) => [`${head(s)} eta ${safeText(s.eta)}`, `  body:   ${safeText(s.body)}`]);
  if (Array.isArray(data)) return listing(data, (item) => [typeof item === 'string' ? `* ${safeText(item)}` : `* ${taskLine(item as Record<string, unknown>)}`]);
  return typeof data === 'string' ? safeLines(data) : safeLines(safeJson(data, 2));
}

function listing<T>(items: readonly T[], lines: (item: T) => string[]): string {
  return items.length === 0 ? '(empty)' : items.flatMap(lines).join('\n');
}

/** `* ID NAME [QUEUE]` for a message the broker holds. */
function head(item: { id: string; queue: string; task: string | null }): string {
  return `* ${safeText(item.id)} ${item.task === null ? '(task unknown)' : safeText(item.task)} [${safeText(item.queue)}]`;
}

/** A running or reserved task, as a worker describes it. */
function taskLine(item: Record<string, unknown>): string {
  const since = item.startedAt ? ` since ${String(item.startedAt)}` : '';
  return safeText(`${String(item.name)}[${String(item.id)}] ${String(item.state ?? '')} args=${safeJson(item.args)}${since}`);
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

/** `tq status`: one line per worker, online first; workers offline for long are counted in one line. */
export function renderStatus(heartbeats: WorkerHeartbeat[], now = Date.now()): string {
  if (heartbeats.length === 0) return 'no workers have reported to this broker';
  const { workers, longOffline } = recentWorkers(heartbeats, now);
  const lines = workers.map((w) => {
    const fields = `pool=${w.pool} c=${w.concurrency}  active=${w.active}  processed=${w.processed}  failed=${w.failed}  queues=${w.queues.join(',')}`;
    return `${safeText(w.hostname)}: ${w.online ? 'online ' : 'offline'}  ${safeText(fields)}  last seen ${duration(now - Date.parse(w.sentAt))} ago`;
  });
  if (longOffline > 0) lines.push(`${offlineSummary(longOffline)} (--json lists them)`);
  const online = workers.filter((w) => w.online).length;
  return `${lines.join('\n')}\n\n${online} node(s) online.`;
}
