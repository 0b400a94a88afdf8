import type { LogFields, Logger } from '../runtime/log.js';
import type { Outcome } from '../runtime/worker/outcome.js';
import type { Unstored, Worker } from '../runtime/worker/worker.js';
import { summarize } from '../runtime/worker/records.js';

const STATES: Record<Outcome['kind'], string> = { success: 'SUCCESS', failure: 'FAILURE', retry: 'RETRY', revoked: 'REVOKED', reject: 'REJECTED' };

/**
 * Plain Celery-like log lines for a worker's events (the non-TUI view). Each
 * line also carries its task's id, name, state and runtime as fields, which
 * `--json` writes as JSON fields of their own.
 */
export function logWorkerEvents(worker: Worker, log: Logger): void {
  // At -l warn a busy worker would build two info lines per task only to drop them.
  const info = log.enabled('info');
  if (info) worker.on('task-received', (m) => log.info(`Task ${m.task}[${m.id}] received`, { taskId: m.id, task: m.task, state: 'RECEIVED' }));
  worker.on('task-finished', (outcome, accepted, unstored) => {
    const m = outcome.message;
    const who = m ? `${m.task}[${m.id}]` : 'message';
    if (unstored) return log.error(`Task ${who}: its outcome (${outcome.kind}) could not be stored: ${notStored(unstored)}`, { taskId: m?.id, task: m?.task, state: STATES[outcome.kind], unstored: true });
    if (outcome.kind === 'success' && !info) return;
    const late = accepted ? '' : ' (lease lost: the broker no longer holds this task for this worker, so it may run elsewhere; outcome discarded)';
    const fields: LogFields = {
      taskId: m?.id,
      task: m?.task,
      state: STATES[outcome.kind],
      runtimeMs: 'runtimeMs' in outcome ? outcome.runtimeMs : undefined,
      leaseLost: accepted ? undefined : true,
    };
    switch (outcome.kind) {
      case 'success':
        return log.info(`Task ${who} succeeded in ${seconds(outcome.runtimeMs)}: ${summarize(outcome.value)}${late}`, fields);
      case 'failure':
        return log.error(`Task ${who} failed in ${seconds(outcome.runtimeMs)}: ${outcome.error.name}: ${outcome.error.message}${late}`, { ...fields, error: outcome.error.name });
      case 'retry':
        return log.warn(`Task ${who} retry in ${seconds(outcome.delayMs)}: ${outcome.error.name}: ${outcome.error.message}${late}`, { ...fields, error: outcome.error.name, retryInMs: outcome.delayMs });
      case 'revoked':
        return log.warn(`Task ${who} revoked: ${outcome.reason}${late}`, fields);
      case 'reject':
        return log.warn(`Rejected ${who} to dead letters: ${outcome.reason}${late}`, fields);
    }
  });
  worker.on('lease-lost', (id) => log.warn(`Lease on task ${id} was lost; it may run again elsewhere`, { taskId: id }));
  worker.on('broker-error', (err) => log.error(`Broker error: ${(err as Error)?.message ?? String(err)}`));
}

/** Why an outcome is not in the broker, and what becomes of the task. */
function notStored({ error, runsAgain }: Unstored): string {
  const why = (error as Error)?.message ?? String(error);
  return `${why}; ${runsAgain ? 'the message stays in the broker and runs again once its lease lapses' : 'it was acknowledged before it ran (acksLate: false), so it does not run again'}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}
