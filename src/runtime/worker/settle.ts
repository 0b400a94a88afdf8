import type { Lease, Reservation, ReserveRequest } from '../brokers/broker.js';
import { encodeMessage } from '../message.js';
import { traceHeaders } from '../tracing.js';
import type { ResultRecord } from '../states.js';
import type { Ledger } from './ledger.js';
import type { Outcome } from './outcome.js';

/**
 * Turns an outcome into its step in the ledger: finish (ack + result, maybe
 * the next message), retry (reschedule), or dead letter. Returns whether it
 * was taken (false: our lease was taken over, or another copy finished the
 * task first) and any next message.
 */
export async function settleOutcome(
  ledger: Ledger,
  lease: Lease,
  outcome: Outcome,
  record: ResultRecord | null,
  maxMessageBytes: number,
  next: ReserveRequest | undefined,
): Promise<{ accepted: boolean; next: Reservation[] }> {
  switch (outcome.kind) {
    case 'retry': {
      const eta = new Date(Date.now() + outcome.delayMs).toISOString();
      // The retry carries the failed run's trace context (when traced), so every attempt is in one trace.
      const headers = { ...outcome.message.headers, ...traceHeaders() };
      const again = encodeMessage({ ...outcome.message, headers, retries: outcome.message.retries + 1, eta }, maxMessageBytes);
      return { accepted: await ledger.retry(lease, again, record), next: [] };
    }
    case 'reject':
      return { accepted: await ledger.deadLetter(lease, outcome.reason, record), next: [] };
    case 'failure':
      if (outcome.exhausted) {
        const reason = `retries exhausted after ${outcome.message.retries}: ${outcome.error.name}: ${outcome.error.message}`;
        return { accepted: await ledger.deadLetter(lease, reason, record), next: [] };
      }
      return ledger.finish(lease, record, next);
    default:
      return ledger.finish(lease, record, next);
  }
}
