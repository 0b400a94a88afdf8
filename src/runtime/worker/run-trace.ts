import type * as Otel from '@opentelemetry/api';
import type { TaskMessage } from '../message.js';
import { markFailed, otel, traceContextOf, tracer } from '../tracing.js';
import type { Outcome } from './outcome.js';

/** Tells the run's span how the run ended (the last call wins). */
export type RunEnded = (outcome: Outcome) => void;

const noTrace: RunEnded = () => undefined;

/**
 * Runs one delivered task inside a CONSUMER span ("process <queue>"), a
 * child of the send that made the message and linked to it, as OTel's
 * messaging conventions describe for a single-message process span. The
 * task's own code (in-process pools), the messages it sends, its retry and
 * its workflow's next steps all run inside this span's context, so they stay
 * in one trace. Without an SDK, `run` is called as is.
 */
export async function tracedRun<T>(message: TaskMessage, hostname: string, run: (ended: RunEnded) => Promise<T>): Promise<T> {
  const o = otel();
  if (!o) return run(noTrace);
  const sent = traceContextOf(o, message.headers);
  const sender = o.trace.getSpanContext(sent);
  const span = tracer(o).startSpan(
    `process ${message.queue}`,
    {
      kind: o.SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'tq',
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.queue,
        'messaging.message.id': message.id,
        'messaging.message.conversation_id': message.rootId,
        'tq.task.name': message.task,
        'tq.task.retries': message.retries,
        'tq.worker.hostname': hostname,
      },
      links: sender && o.trace.isSpanContextValid(sender) ? [{ context: sender }] : [],
    },
    sent,
  );
  let outcome: Outcome | undefined;
  try {
    return await o.context.with(o.trace.setSpan(sent, span), () => run((ended) => void (outcome = ended)));
  } catch (err) {
    markFailed(o, span, err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    if (outcome) describeOutcome(o, span, outcome);
    span.end();
  }
}

function describeOutcome(o: typeof Otel, span: Otel.Span, outcome: Outcome): void {
  switch (outcome.kind) {
    case 'success':
      span.setAttribute('tq.task.state', 'SUCCESS');
      return;
    case 'retry':
      span.setAttribute('tq.task.state', 'RETRY');
      span.setAttribute('tq.retry.delay_ms', outcome.delayMs);
      return markFailed(o, span, outcome.error);
    case 'failure':
      span.setAttribute('tq.task.state', 'FAILURE');
      return markFailed(o, span, outcome.error);
    case 'revoked':
      span.setAttribute('tq.task.state', 'REVOKED');
      span.setAttribute('tq.revoke.reason', outcome.reason);
      return;
    case 'reject':
      span.setAttribute('tq.task.state', 'REJECTED');
      span.setStatus({ code: o.SpanStatusCode.ERROR, message: outcome.reason });
  }
}
