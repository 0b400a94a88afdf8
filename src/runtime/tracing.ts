import { createRequire } from 'node:module';
import type * as Otel from '@opentelemetry/api';
import type { Outgoing } from './message.js';

/**
 * OpenTelemetry, through `@opentelemetry/api` only: tq records spans and
 * carries trace context when the application has set up an SDK, and does
 * nothing otherwise (the api's no-op). Span names and attributes follow OTel's
 * messaging semantic conventions, with `messaging.system` "tq".
 *
 * The api is loaded only once something has registered with it (an SDK's
 * tracer provider, propagator or context manager all go in one global, keyed
 * by the api's major version): an application without OpenTelemetry does
 * not pay the api's load time on its first `.delay()`. The api itself is
 * CommonJS for Node (its `import` resolves to the same file), so require()
 * gives the same module an application's own import does.
 */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const TRACER_NAME = 'tq';
const require = createRequire(import.meta.url);
let api: typeof Otel | undefined;

/** The api, when an SDK (or anything else) has registered with it; undefined while nothing has. */
export function otel(): typeof Otel | undefined {
  if (api) return api;
  if ((globalThis as Record<symbol, unknown>)[API_GLOBAL] === undefined) return undefined;
  api = require('@opentelemetry/api') as typeof Otel;
  return api;
}

export function tracer(o: typeof Otel): Otel.Tracer {
  return o.trace.getTracer(TRACER_NAME);
}

/**
 * The active trace context as message headers (W3C `traceparent` and
 * `tracestate` with the SDK's default propagator): a message built inside a
 * send span, or inside a task's run, carries it to the worker that runs it.
 * Empty without an SDK.
 */
export function traceHeaders(): Record<string, string> {
  const o = otel();
  if (!o) return {};
  const carrier: Record<string, string> = {};
  o.propagation.inject(o.context.active(), carrier);
  return carrier;
}

/** Reads trace context back out of a message's headers (only string values count). */
export function traceContextOf(o: typeof Otel, headers: Record<string, unknown>): Otel.Context {
  return o.propagation.extract(o.ROOT_CONTEXT, headers, {
    get: (carrier, key) => {
      const value = (carrier as Record<string, unknown>)[key];
      return typeof value === 'string' ? value : undefined;
    },
    keys: (carrier) => Object.keys(carrier as object),
  });
}

/**
 * Runs one send (a call, a bulk, a workflow's first step) inside a PRODUCER
 * span; `build` makes the messages inside it, so they carry its context, and
 * `send` hands them to the broker. The span is named after the queue when
 * every message goes to one ("send emails"), else "send". A send that throws
 * ends its span with an error status.
 */
export async function tracedSend<O extends Outgoing, T>(build: () => O[], send: (outgoing: O[]) => Promise<T>): Promise<T> {
  const o = otel();
  if (!o) return send(build());
  const span = tracer(o).startSpan('send', { kind: o.SpanKind.PRODUCER, attributes: { 'messaging.system': 'tq', 'messaging.operation.name': 'send', 'messaging.operation.type': 'send' } });
  try {
    return await o.context.with(o.trace.setSpan(o.context.active(), span), async () => {
      const outgoing = build();
      describeSend(span, outgoing);
      return await send(outgoing);
    });
  } catch (err) {
    markFailed(o, span, err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    span.end();
  }
}

function describeSend(span: Otel.Span, outgoing: readonly Outgoing[]): void {
  const queues = new Set(outgoing.map((m) => m.envelope.queue));
  const tasks = new Set(outgoing.map((m) => m.task));
  if (queues.size === 1) {
    const [queue] = queues;
    span.updateName(`send ${queue}`);
    span.setAttribute('messaging.destination.name', queue!);
  }
  if (tasks.size === 1) span.setAttribute('tq.task.name', [...tasks][0]!);
  if (outgoing.length === 1) span.setAttribute('messaging.message.id', outgoing[0]!.envelope.id);
  else span.setAttribute('messaging.batch.message_count', outgoing.length);
}

/** Ends a span's story as a failure: the exception as an event, status ERROR with "Name: message". */
export function markFailed(o: typeof Otel, span: Otel.Span, error: { name: string; message: string; stack?: string }): void {
  span.recordException({ name: error.name, message: error.message, stack: error.stack });
  span.setStatus({ code: o.SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
}
