import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../src/runtime/message.js';
import type { ResultRecord } from '../../src/runtime/states.js';

export function envelope(overrides: Partial<Envelope> & { task?: string } = {}): Envelope {
  const id = overrides.id ?? randomUUID();
  const queue = overrides.queue ?? 'default';
  const priority = overrides.priority ?? 4;
  const body = JSON.stringify({ id, task: overrides.task ?? 'noop', args: [], kwargs: {}, queue, priority, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} });
  return { id, queue, priority, etaMs: overrides.etaMs ?? null, body: overrides.body ?? body };
}

export function success(id: string, result: unknown = 'ok'): ResultRecord {
  return { id, task: 'noop', state: 'SUCCESS', result, retries: 0, worker: 'test' };
}

export const request = (holder: string, max = 1, extra: { queues?: string[]; leaseMs?: number; waitMs?: number; signal?: AbortSignal; window?: number } = {}) => ({
  queues: extra.queues ?? ['default'],
  holder,
  max,
  leaseMs: extra.leaseMs ?? 30_000,
  waitMs: extra.waitMs ?? 0,
  signal: extra.signal,
  window: extra.window,
});
