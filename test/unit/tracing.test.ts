import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chain, signature } from '../../src/runtime/canvas/primitives.js';
import { createClient, type Client } from '../../src/runtime/client.js';
import { currentTask } from '../../src/runtime/context.js';
import { TaskRegistry } from '../../src/runtime/discovery.js';
import { createLogger } from '../../src/runtime/log.js';
import { task } from '../../src/runtime/task.js';
import { InProcessPool } from '../../src/runtime/worker/pools/in-process.js';
import { Worker } from '../../src/runtime/worker/worker.js';
import { waitFor } from '../support/wait.js';

/**
 * OpenTelemetry with the SDK's in-memory exporter, as an application would set
 * it up (tracer provider, W3C propagator, AsyncLocalStorage context manager):
 * the send span and the worker's run span are one trace, parent and child
 * (and linked); failures, retries and chain steps stay in it. A worker in
 * this process on the embedded SQLite broker.
 */
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = trace.getTracer('tracing-test');

let dir: string;
let client: Client;
let worker: Worker;

const registry = new TaskRegistry();
const add = (name: string, fn: (...args: never[]) => unknown, options = {}) => registry.add({ name, file: 'test', task: task(fn as never, { name, ...options }) });
add('add', (a: number, b: number) => tracer.startActiveSpan('inside add', (span) => (span.end(), a + b)));
add('boom', () => {
  throw new TypeError('kaput');
});
add('flaky', () => {
  if (currentTask().retries === 0) currentTask().retry({ countdown: 0 });
  return 'second time';
});
add('double', (x: number) => x * 2);

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  dir = mkdtempSync(join(tmpdir(), 'tq-tracing-'));
  client = await createClient({ brokerUrl: `sqlite://${join(dir, 'tq.db')}`, cwd: dir });
  const log = createLogger({ level: 'error', write: () => undefined });
  worker = new Worker({
    stores: client.stores, registry, pool: new InProcessPool('async', 4, 'w-trace', log), hostname: 'w-trace', queues: ['default'],
    prefetchMultiplier: 1, leaseMs: 30_000, maxMessageBytes: 1 << 20, defaultQueue: 'default', resultExpiresMs: 60_000, log,
  });
  worker.start();
});

afterAll(async () => {
  await worker?.stopNow();
  await client?.close();
  trace.disable();
  propagation.disable();
  context.disable();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => exporter.reset());

const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
/** The worker's run spans of one task id, once `count` have ended. */
const runsOf = (id: string, count = 1) =>
  waitFor(() => {
    const runs = spans().filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === id);
    return runs.length >= count ? runs : undefined;
  }, `${count} run span(s) of ${id}`);

describe('OpenTelemetry tracing', () => {
  it('puts the send and the run in one trace: the run is the send span\'s child, linked to it, and the task\'s own spans nest in the run', async () => {
    const result = await tracer.startActiveSpan('GET /signup', async (request) => {
      try {
        return await client.sendTask('add', { args: [2, 3] });
      } finally {
        request.end();
      }
    });
    expect(await result.get({ timeout: 10_000 })).toBe(5);
    const [run] = await runsOf(result.id);
    const [send] = named('send default');
    const [request] = named('GET /signup');
    expect(send).toBeDefined();
    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(send!.spanContext().traceId).toBe(request!.spanContext().traceId);
    expect(parentOf(send!)).toBe(request!.spanContext().spanId);
    expect(send!.attributes).toMatchObject({ 'messaging.system': 'tq', 'messaging.operation.type': 'send', 'messaging.destination.name': 'default', 'messaging.message.id': result.id, 'tq.task.name': 'add' });

    expect(run!.name).toBe('process default');
    expect(run!.spanContext().traceId).toBe(send!.spanContext().traceId);
    expect(parentOf(run!)).toBe(send!.spanContext().spanId);
    expect(run!.links.map((l) => l.context.spanId)).toEqual([send!.spanContext().spanId]);
    expect(run!.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'tq.task.name': 'add', 'tq.task.state': 'SUCCESS', 'tq.worker.hostname': 'w-trace' });
    expect(run!.status.code).not.toBe(SpanStatusCode.ERROR);
    const [inside] = named('inside add');
    expect(parentOf(inside!)).toBe(run!.spanContext().spanId);
  });

  it('ends a failed run with an error status and the exception', async () => {
    const result = await client.sendTask('boom');
    await expect(result.get({ timeout: 10_000 })).rejects.toThrow(/kaput/);
    const [run] = await runsOf(result.id);
    expect(run!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'TypeError: kaput' });
    expect(run!.attributes['tq.task.state']).toBe('FAILURE');
    const exception = run!.events.find((e) => e.name === 'exception');
    expect(exception?.attributes).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'kaput' });
  });

  it('keeps a retry in the trace: the second attempt is the child of the first', async () => {
    const result = await client.sendTask('flaky');
    expect(await result.get({ timeout: 10_000 })).toBe('second time');
    const runs = await runsOf(result.id, 2);
    const [first, second] = [...runs].sort((a, b) => Number(a.attributes['tq.task.retries']) - Number(b.attributes['tq.task.retries']));
    const [send] = named('send default');
    expect(first!.attributes).toMatchObject({ 'tq.task.retries': 0, 'tq.task.state': 'RETRY' });
    expect(first!.status.code).toBe(SpanStatusCode.ERROR);
    expect(second!.attributes).toMatchObject({ 'tq.task.retries': 1, 'tq.task.state': 'SUCCESS' });
    for (const run of runs) expect(run.spanContext().traceId).toBe(send!.spanContext().traceId);
    expect(parentOf(second!)).toBe(first!.spanContext().spanId);
  });

  it('keeps a chain in one trace: each step runs as the child of the step before', async () => {
    const handle = await chain(signature('add', [1, 2]), signature('double'), signature('double')).applyAsync({}, client);
    expect(await handle.get({ timeout: 10_000 })).toBe(12);
    const runs = await waitFor(() => (named('process default').length >= 3 ? named('process default') : undefined), 'three run spans');
    const [send] = named('send default');
    const byTask = (name: string) => runs.filter((r) => r.attributes['tq.task.name'] === name);
    const [first] = byTask('add');
    const [second, third] = [...byTask('double')].sort((a, b) => Number(a.startTime[0] - b.startTime[0]) || a.startTime[1] - b.startTime[1]);
    for (const run of runs) expect(run.spanContext().traceId).toBe(send!.spanContext().traceId);
    expect(parentOf(first!)).toBe(send!.spanContext().spanId);
    expect(parentOf(second!)).toBe(first!.spanContext().spanId);
    expect(parentOf(third!)).toBe(second!.spanContext().spanId);
  });

  it('traces a bulk send as one span whose context every message carries', async () => {
    const results = await client.sendMany([1, 2, 3].map((n) => ({ name: 'double', options: { args: [n] } })));
    expect(await Promise.all(results.map((r) => r.get({ timeout: 10_000 })))).toEqual([2, 4, 6]);
    const [send] = named('send default');
    expect(send!.attributes['messaging.batch.message_count']).toBe(3);
    for (const r of results) expect(parentOf((await runsOf(r.id))[0]!)).toBe(send!.spanContext().spanId);
  });
});

describe('without an OpenTelemetry SDK', () => {
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  /** A fresh process sends one task and prints the stored message's headers and whether the api was loaded. */
  const headersSent = (setup: string) => {
    const script = `
      import { createRequire } from 'node:module';
      ${setup}
      const { buildEnvelope } = await import(${JSON.stringify(dist)});
      const envelope = buildEnvelope({ defaultQueue: 'default', maxMessageBytes: 1 << 20 }, 'add', { args: [1, 2] });
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('@opentelemetry/api'));
      console.log(JSON.stringify({ headers: JSON.parse(envelope.body).headers, loaded }));`;
    return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' })) as { headers: Record<string, unknown>; loaded: boolean };
  };

  it('sends no traceparent and does not even load the api', () => {
    expect(headersSent('')).toEqual({ headers: {}, loaded: false });
  });

  it('does send one once a propagator and an active span exist (the check above can fail)', () => {
    // An application's setup, minus the tracer provider: a W3C propagator, and a context whose active span is a remote parent.
    const setup = `
      const require = createRequire(${JSON.stringify(dist)});
      const api = require('@opentelemetry/api');
      api.propagation.setGlobalPropagator(new (require('@opentelemetry/core').W3CTraceContextPropagator)());
      const active = api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
      api.context.setGlobalContextManager({ active: () => active, with: (c, f, t, ...a) => f.call(t, ...a), bind: (c, t) => t, enable() { return this; }, disable() { return this; } });`;
    const sent = headersSent(setup);
    expect(sent.loaded).toBe(true);
    expect(sent.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });
});
