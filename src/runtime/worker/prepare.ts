import type { Reservation } from '../brokers/broker.js';
import type { RegisteredTask, TaskRegistry } from '../discovery.js';
import { decodeMessage, type TaskMessage } from '../message.js';
import type { Outcome } from './outcome.js';

export type Prepared = { ok: true; message: TaskMessage; entry: RegisteredTask } | { ok: false; outcome: Outcome };

/**
 * Decides whether a delivery can run at all: it must decode, name a task this
 * worker knows, and not have expired. Never throws, so a bad message is
 * dead-lettered and the worker goes on.
 */
export function prepare(delivery: Reservation, registry: TaskRegistry, maxMessageBytes: number, hostname: string): Prepared {
  const decoded = decodeMessage(delivery.body, maxMessageBytes);
  if (!decoded.ok) return { ok: false, outcome: { kind: 'reject', message: null, reason: `malformed message: ${decoded.reason}` } };
  const message = decoded.message;
  if (message.id !== delivery.id) {
    return { ok: false, outcome: { kind: 'reject', message: null, reason: `malformed message: body id ${message.id} differs from envelope id ${delivery.id}` } };
  }
  const entry = registry.get(message.task);
  if (!entry) return { ok: false, outcome: { kind: 'reject', message, reason: `unknown task '${message.task}': not registered on ${hostname}` } };
  if (message.expires && Date.parse(message.expires) <= Date.now()) {
    return { ok: false, outcome: { kind: 'revoked', message, reason: `expired at ${message.expires}` } };
  }
  return { ok: true, message, entry };
}
