import { randomUUID } from 'node:crypto';

/** Task ids are UUIDv4 strings, as in Celery, so ids from either side look alike. */
export function newTaskId(): string {
  return randomUUID();
}

/** An unguessable token that fences one lease: only its holder may ack. */
export function newLeaseToken(): string {
  return randomUUID();
}
