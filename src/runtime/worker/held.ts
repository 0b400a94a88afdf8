import type { Reservation } from '../brokers/broker.js';
import type { TaskMessage } from '../message.js';
import type { Cancellation } from './cancellation.js';

/** A message this worker holds: running (`message` set once started) or waiting in the prefetch buffer. */
export interface Held {
  reservation: Reservation;
  message?: TaskMessage;
  startedAt?: number;
  abort: Cancellation;
  /** Set when revoked with terminate while running: the outcome is REVOKED, whatever the task did. */
  revokedBecause?: string;
}
