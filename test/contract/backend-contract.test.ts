import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BODY_PREVIEW_CHARS } from '../../src/runtime/brokers/broker.js';
import type { WorkerHeartbeat } from '../../src/runtime/cluster.js';
import { harnesses } from './brokers.js';
import { useHarness } from './harness.js';
import { envelope, request, success } from './fixtures.js';
import { waitFor } from '../support/wait.js';

/** The backend contract (brokers/backend.ts): results, meta, rate slots and the cluster verbs, on every store that can be a backend. */
describe.each(harnesses)('backend contract: $name', (harness) => {
  const open = useHarness(harness);

  it('stores a result without a lease (acksLate: false)', async () => {
    const broker = await open();
    await broker.storeResult(success('free-standing', 7));
    expect((await broker.getResult('free-standing'))?.result).toBe(7);
  });

  it('keeps the first final record of an id: a later one, final or not, is refused', async () => {
    const backend = await open();
    const id = randomUUID();
    expect(await backend.storeResult({ id, task: 'noop', state: 'STARTED', retries: 0, worker: 'w1' })).toBe(true);
    expect(await backend.storeResult({ id, task: 'noop', state: 'STARTED', retries: 0, worker: 'w1', progress: { fraction: 0.5 } })).toBe(true);
    expect(await backend.storeResult(success(id, 'first'))).toBe(true);
    expect(await backend.storeResult(success(id, 'second'))).toBe(false);
    expect(await backend.storeResult({ id, task: 'noop', state: 'STARTED', retries: 0, worker: 'late' })).toBe(false);
    expect(await backend.storeResult({ id, task: 'noop', state: 'FAILURE', retries: 0, error: { name: 'Error', message: 'late' } })).toBe(false);
    expect(await backend.getResult(id)).toMatchObject({ state: 'SUCCESS', result: 'first' });
  });

  it('wakes a waiter when a final record is stored, not for a STARTED one', async () => {
    const backend = await open();
    const id = randomUUID();
    const waiting = backend.waitForResult(id, 20_000);
    await backend.storeResult({ id, task: 'noop', state: 'STARTED', retries: 0 });
    await backend.storeResult(success(id, 9));
    expect(await waiting).toMatchObject({ state: 'SUCCESS', result: 9 });
  });

  it('marks PENDING only ids it does not know, and says which it knew; forgets records on request', async () => {
    const backend = await open();
    const [a, b] = [randomUUID(), randomUUID()];
    await backend.storeResult(success(a, 'done'));
    const pending = (id: string) => ({ id, task: 'noop', state: 'PENDING' as const, retries: 0, queue: 'default' });
    expect(await backend.markPending([pending(a), pending(b)])).toEqual([a]);
    expect(await backend.getResult(a)).toMatchObject({ state: 'SUCCESS', result: 'done' });
    expect(await backend.getResult(b)).toMatchObject({ state: 'PENDING', queue: 'default' });
    expect(await backend.markPending([pending(b)])).toEqual([b]);
    await backend.forgetResults([b]);
    expect(await backend.getResult(b)).toBeNull();
  });

  it('claims a meta key once until it expires, and gives it up on delete', async () => {
    const backend = await open();
    expect(await backend.claimMeta('tick:a', 'me', 60_000)).toBe(true);
    expect(await backend.claimMeta('tick:a', 'you', 60_000)).toBe(false);
    expect(await backend.getMeta('tick:a')).toBe('me');
    await backend.deleteMeta('tick:a');
    expect(await backend.claimMeta('tick:a', 'you', 60_000)).toBe(true);
    expect(await backend.claimMeta('tick:short', 'me', 50)).toBe(true);
    await waitFor(() => backend.claimMeta('tick:short', 'again', 50), 'the short claim to expire');
  });

  it('remembers revoked ids for their time, without a message to remove', async () => {
    const backend = await open();
    const [a, b] = [randomUUID(), randomUUID()];
    await backend.rememberRevoked([a], 60_000);
    await backend.rememberRevoked([b], 50);
    expect(await backend.listRevoked()).toContain(a);
    await waitFor(async () => !(await backend.listRevoked()).includes(b), 'the short revocation to be forgotten');
    expect(await backend.listRevoked()).toContain(a);
  });

  it('retries with no record, leaving the state as it was', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    expect(await broker.retry(r!.lease, { ...e, etaMs: Date.now() + 60_000 }, null)).toBe(true);
    expect((await broker.getResult(e.id))?.state).toBe('PENDING');
  });

  it('spaces rate-limited starts globally and refuses slots beyond the wait it accepts', async () => {
    const broker = await open();
    const claims = [];
    for (let i = 0; i < 5; i++) claims.push(await broker.acquireRateSlot('task:x', 100, 1000));
    expect(claims.every((c) => c.granted)).toBe(true);
    const waits = claims.map((c) => c.waitMs);
    for (let i = 1; i < waits.length; i++) expect(waits[i]! - waits[i - 1]!).toBeGreaterThanOrEqual(80);
    const far = await broker.acquireRateSlot('task:x', 100, 50);
    expect(far.granted).toBe(false);
    expect(far.waitMs).toBeGreaterThan(300);
    expect((await broker.acquireRateSlot('task:other', 100, 0)).granted).toBe(true);
  });

  it('keeps the latest heartbeat per worker', async () => {
    const broker = await open();
    const hb = (hostname: string, active: number): WorkerHeartbeat => ({
      hostname, pid: 1, pool: 'async', concurrency: 1, queues: ['default'], active, processed: 0, failed: 0, retried: 0,
      load: 0, rssBytes: 0, startedAt: new Date().toISOString(), sentAt: new Date().toISOString(), version: 'x', state: 'online',
    });
    await broker.recordHeartbeat(hb('a', 1));
    await broker.recordHeartbeat(hb('b', 0));
    await broker.recordHeartbeat(hb('a', 3));
    const all = await broker.listHeartbeats();
    expect(all.map((h) => [h.hostname, h.active]).sort()).toEqual([['a', 3], ['b', 0]]);
  });

  it('delivers control requests published after a cursor, and collects replies', async () => {
    const broker = await open();
    await broker.publishControl({ id: 'old', command: { verb: 'ping' }, destination: [], sentAt: new Date().toISOString() });
    const { cursor } = await broker.readControl(null, 0);
    const waiting = broker.readControl(cursor, 5000);
    await broker.publishControl({ id: 'r1', command: { verb: 'ping' }, destination: ['w1'], sentAt: new Date().toISOString() });
    const read = await waiting;
    expect(read.requests.map((r) => r.id)).toEqual(['r1']);
    expect(read.requests[0]!.destination).toEqual(['w1']);
    await broker.replyControl({ requestId: 'r1', hostname: 'w1', ok: true, data: 'pong' });
    await broker.replyControl({ requestId: 'r1', hostname: 'w2', ok: false, data: 'nope' });
    const replies = await broker.collectReplies('r1', 2000, 2);
    expect(replies.map((r) => [r.hostname, r.data]).sort()).toEqual([['w1', 'pong'], ['w2', 'nope']]);
    expect((await broker.readControl(read.cursor, 0)).requests).toEqual([]);
  });

  it('revokes: removes waiting messages at once (REVOKED), remembers every id, leaves leased ones to their worker', async () => {
    const broker = await open();
    const [queued, scheduled, leased] = [envelope(), envelope({ etaMs: Date.now() + 60_000 }), envelope()];
    await broker.enqueue([leased]);
    await broker.reserve(request('w'));
    await broker.enqueue([queued, scheduled]);
    const removed = await broker.revoke([queued.id, scheduled.id, leased.id, 'not-sent-yet'], 60_000, 'revoked');
    expect(removed.sort()).toEqual([queued.id, scheduled.id].sort());
    expect((await broker.getResult(queued.id))?.state).toBe('REVOKED');
    expect((await broker.getResult(leased.id))?.state).toBe('STARTED');
    expect((await broker.listRevoked()).sort()).toEqual([queued.id, scheduled.id, leased.id, 'not-sent-yet'].sort());
    expect((await broker.stats(['default']))[0]).toMatchObject({ ready: 0, scheduled: 0, leased: 1 });
  });

  it('appends events in order and reads them after any id', async () => {
    const broker = await open();
    expect(await broker.readEvents(null, 10, 0)).toEqual([]);
    await broker.appendEvents([1, 2, 3].map((n) => ({ type: 'task-sent' as const, at: new Date().toISOString(), taskId: `t${n}` })));
    const all = await broker.readEvents(null, 10, 0);
    expect(all.map((e) => e.taskId)).toEqual(['t1', 't2', 't3']);
    const after = await broker.readEvents(all[0]!.eventId, 10, 0);
    expect(after.map((e) => e.taskId)).toEqual(['t2', 't3']);
    const waiting = broker.readEvents(all[2]!.eventId, 10, 5000);
    await broker.appendEvents([{ type: 'task-received', at: new Date().toISOString(), taskId: 't4' }]);
    expect((await waiting).map((e) => e.taskId)).toEqual(['t4']);
  });

  it('names the newest event, so following from now on starts after it', async () => {
    const broker = await open();
    expect(await broker.latestEventId()).toBeNull();
    const sent = (n: number) => ({ type: 'task-sent' as const, at: new Date().toISOString(), taskId: `t${n}` });
    await broker.appendEvents([sent(1), sent(2)]);
    await broker.appendEvents([sent(3), sent(4), sent(5)]);
    const latest = await broker.latestEventId();
    expect(latest).toBe((await broker.readEvents(null, 10, 0)).at(-1)!.eventId);
    expect(await broker.readEvents(latest, 10, 0)).toEqual([]);
    await broker.appendEvents([sent(6)]);
    expect((await broker.readEvents(latest, 10, 0)).map((e) => e.taskId)).toEqual(['t6']);
  });

  it('reads up to max events across many batches, resuming inside a batch', async () => {
    const broker = await open();
    for (let b = 0; b < 60; b++) {
      await broker.appendEvents(Array.from({ length: 10 }, (_, i) => ({ type: 'task-sent' as const, at: new Date().toISOString(), taskId: `t${b * 10 + i}` })));
    }
    const first = await broker.readEvents(null, 455, 0);
    expect(first.map((e) => e.taskId)).toEqual(Array.from({ length: 455 }, (_, i) => `t${i}`));
    const rest = await broker.readEvents(first.at(-1)!.eventId, 1_000, 0);
    expect(rest.map((e) => e.taskId)).toEqual(Array.from({ length: 145 }, (_, i) => `t${455 + i}`));
  });

  it('records task-sent events with the enqueue, after the messages, in one call', async () => {
    const broker = await open();
    // 1,200 messages: more than one Redis script call, so the events must follow the last chunk.
    const envelopes = Array.from({ length: 1_200 }, () => envelope());
    const at = new Date().toISOString();
    await broker.enqueue(envelopes, envelopes.map((e) => ({ type: 'task-sent' as const, at, taskId: e.id, task: 'add', queue: e.queue })));
    const events = await broker.readEvents(null, 2_000, 0);
    expect(events.map((e) => e.taskId)).toEqual(envelopes.map((e) => e.id));
    expect(events[0]).toMatchObject({ type: 'task-sent', at, task: 'add', queue: envelopes[0]!.queue });
    expect((await broker.stats()).reduce((n, q) => n + q.ready, 0)).toBe(1_200);
  });

  it('round-trips every field of events, including absent and repeated ones', async () => {
    const broker = await open();
    const at = new Date().toISOString();
    const written = [
      { type: 'task-received' as const, at, taskId: 'a', task: 't', hostname: 'h', queue: 'q', data: { args: [1, '0'], kwargs: {}, retries: 0 } },
      { type: 'task-started' as const, at, taskId: 'a', task: 't', hostname: 'h', queue: 'q' },
      { type: 'worker-heartbeat' as const, at: new Date(Date.parse(at) + 1).toISOString(), hostname: 'h', data: { active: 0 } },
      { type: 'task-succeeded' as const, at, taskId: 'a', task: 't', hostname: 'h', queue: 'q', data: { runtimeMs: 0, result: '0' } },
    ];
    await broker.appendEvents(written);
    const read = (await broker.readEvents(null, 10, 0)).map(({ eventId: _, ...e }) => e);
    expect(read).toEqual(written);
  });

  it('lists scheduled messages soonest first', async () => {
    const broker = await open();
    const [later, sooner] = [envelope({ etaMs: Date.now() + 120_000 }), envelope({ etaMs: Date.now() + 60_000 })];
    await broker.enqueue([later, sooner, envelope()]);
    expect((await broker.listScheduled(10)).map((s) => s.id)).toEqual([sooner.id, later.id]);
  });

  it('lists dead letters and puts them back in their queue', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    await broker.deadLetter(r!.lease, 'unknown task', null);
    const dead = await broker.listDead(10);
    expect(dead.map((d) => [d.id, d.reason, d.queue])).toEqual([[e.id, 'unknown task', 'default']]);
    expect(dead[0]!.body).toBe(e.body);
    expect(await broker.requeueDead()).toBe(1);
    expect(await broker.listDead(10)).toEqual([]);
    const [again] = await broker.reserve(request('w'));
    expect(again?.id).toBe(e.id);
  });

  it('lists a delayed message with a preview of a long body and the whole of a short one', async () => {
    const broker = await open();
    const id = randomUUID();
    const body = JSON.stringify({ id, task: 'noop', args: ['ü€'.repeat(20_000)], kwargs: {}, queue: 'default', priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} });
    const [long, short] = [envelope({ id, body, etaMs: Date.now() + 60_000 }), envelope({ etaMs: Date.now() + 120_000 })];
    await broker.enqueue([long, short]);
    const shown = body.slice(0, BODY_PREVIEW_CHARS);
    expect((await broker.listScheduled(10)).map((s) => s.body)).toEqual([
      `${shown}… (${Buffer.byteLength(body) - Buffer.byteLength(shown)} more bytes)`,
      short.body,
    ]);
  });

  it('keeps a large dead letter whole, so requeueing it runs the same message', async () => {
    const broker = await open();
    const id = randomUUID();
    const body = JSON.stringify({ id, task: 'noop', args: ['é'.repeat(50_000)], kwargs: {}, queue: 'default', priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} });
    await broker.enqueue([envelope({ id, body })]);
    const [r] = await broker.reserve(request('w'));
    await broker.deadLetter(r!.lease, 'failed for good', null);
    // A listing shows a preview: the first characters and how many bytes it leaves out.
    const shown = body.slice(0, BODY_PREVIEW_CHARS);
    expect((await broker.listDead(10))[0]!.body).toBe(`${shown}… (${Buffer.byteLength(body) - Buffer.byteLength(shown)} more bytes)`);
    expect(await broker.requeueDead([id])).toBe(1);
    const [again] = await broker.reserve(request('w'));
    expect(again?.body).toBe(body);
  });

  it('cuts a body over maxMessageBytes in bytes, and leaves such a letter in place on requeue', async () => {
    const broker = await open({ maxMessageBytes: 1_000 });
    const fits = envelope();
    const id = randomUUID();
    const huge = envelope({ id, body: JSON.stringify({ id, task: 'noop', args: ['é'.repeat(2_000)], kwargs: {}, queue: 'default', priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} }) });
    await broker.enqueue([fits, huge]);
    for (const r of await broker.reserve(request('w', 2))) await broker.deadLetter(r.lease, 'too big or failed', null);
    expect(await broker.requeueDead()).toBe(1); // only the one that could run
    const [left] = await broker.listDead(10);
    expect(left!.id).toBe(id);
    expect(left!.body).toContain(`... (${Buffer.byteLength(huge.body) - 1_000} more bytes)`);
    expect((await broker.reserve(request('w')))[0]?.body).toBe(fits.body);
  });

  it('requeues by id an id that JSON escapes, and leaves the other letters', async () => {
    const broker = await open();
    const odd = envelope({ id: 'reports/2026 "nov"\\x' });
    const other = envelope();
    await broker.enqueue([odd, other]);
    for (const r of await broker.reserve(request('w', 2))) await broker.deadLetter(r.lease, 'failed', null);
    expect(await broker.requeueDead([odd.id])).toBe(1);
    expect((await broker.listDead(10)).map((d) => d.id)).toEqual([other.id]);
    expect((await broker.reserve(request('w')))[0]?.body).toBe(odd.body);
  });
});
