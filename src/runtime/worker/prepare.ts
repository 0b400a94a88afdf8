import type { Reservation } from '../brokers/broker.js';
import type { RegisteredTask, TaskRegistry } from '../discovery.js';
import { decodeMessage, type TaskMessage } from '../message.js';
import type { Outcome } from './outcome.js';

export type Prepared =
  | { ok: true; message: TaskMessage; entry: RegisteredTask }
  /** `unknown`: a valid message for a task this worker does not register (another worker may). */
  | { ok: false; outcome: Outcome; unknown?: TaskMessage };

/**
 * Decides whether a delivery can run here: it must decode, name a task this
 * worker knows, and not have expired. Never throws, so a bad message is
 * dead-lettered and the worker goes on. A message that does not decode is
 * rejected under the delivery's id (the broker's key for it, which a waiter
 * knows), since the body's own id cannot be trusted.
 */
export function prepare(delivery: Reservation, registry: TaskRegistry, maxMessageBytes: number, hostname: string): Prepared {
  const rejected = (reason: string): Prepared => ({ ok: false, outcome: { kind: 'reject', message: null, reason: `malformed message: ${reason}`, delivery } });
  if (delivery.problem !== undefined) return rejected(delivery.problem);
  const decoded = decodeMessage(delivery.body, maxMessageBytes);
  if (!decoded.ok) return rejected(decoded.reason);
  const message = decoded.message;
  if (message.id !== delivery.id) return rejected(`body id ${message.id} differs from envelope id ${delivery.id}`);
  const entry = registry.get(message.task);
  if (!entry) return { ok: false, unknown: message, outcome: { kind: 'reject', message, reason: `unknown task '${message.task}': not registered on ${hostname}` } };
  if (message.expires && Date.parse(message.expires) <= Date.now()) {
    return { ok: false, outcome: { kind: 'revoked', message, reason: `expired at ${message.expires}` } };
  }
  return { ok: true, message, entry };
}
