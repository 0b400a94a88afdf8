import type { InspectAnswer } from '../runtime/inspect.js';
import type { QueueStats } from '../runtime/brokers/broker.js';
import { isOnline, type WorkerHeartbeat } from '../runtime/cluster.js';
import { renderQueueTable } from './queue-table.js';

/** Plain text for `tq inspect` and `tq control`: one block per answering worker (or the broker). */
export function renderAnswers(verb: string, answers: InspectAnswer): string {
  if (answers.length === 0) return `no reply (no worker answered ${verb} within the timeout)`;
  return answers.map((a) => `-> ${a.source}: ${a.ok ? 'OK' : 'ERROR'}\n${indent(a.ok ? body(verb, a.data) : String(a.data))}`).join('\n');
}

function body(verb: string, data: unknown): string {
  if (verb === 'queues') return renderQueueTable(data as QueueStats[]);
  if (Array.isArray(data)) {
    if (data.length === 0) return '(empty)';
    return data.map((item) => (typeof item === 'string' ? `* ${item}` : `* ${line(item as Record<string, unknown>)}`)).join('\n');
  }
  return typeof data === 'string' ? data : JSON.stringify(data, null, 2);
}

function line(item: Record<string, unknown>): string {
  if ('reason' in item) return `${item.id} [${item.queue}] ${item.reason}`;
  if ('eta' in item) return `${item.id} [${item.queue}] eta ${item.eta}`;
  return `${item.name}[${item.id}] ${item.state ?? ''} args=${JSON.stringify(item.args)}${item.startedAt ? ` since ${item.startedAt}` : ''}`;
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

/** `tq status`: one line per worker. */
export function renderStatus(heartbeats: WorkerHeartbeat[], now = Date.now()): string {
  if (heartbeats.length === 0) return 'no workers have reported to this broker';
  const lines = heartbeats.map((hb) => {
    const state = isOnline(hb, now) ? 'online ' : 'offline';
    const ago = Math.round((now - Date.parse(hb.sentAt)) / 1000);
    return `${hb.hostname}: ${state}  pool=${hb.pool} c=${hb.concurrency}  active=${hb.active}  processed=${hb.processed}  failed=${hb.failed}  queues=${hb.queues.join(',')}  last seen ${ago}s ago`;
  });
  const online = heartbeats.filter((hb) => isOnline(hb, now)).length;
  return `${lines.join('\n')}\n\n${online} node(s) online.`;
}
