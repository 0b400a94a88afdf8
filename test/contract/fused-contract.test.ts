import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { harnesses } from './brokers.js';
import { useHarness } from './harness.js';
import { envelope, request, success } from './fixtures.js';

/**
 * The fused store contract (brokers/fused.ts): a store that is broker and
 * backend at once (SQLite, Redis) moves a message and writes its state in one
 * atomic step. Each test opens its own isolated store, so tests can run
 * concurrently. The message flow alone is message-flow-contract.test.ts (every
 * broker); the state alone, backend-contract.test.ts.
 */
describe.each(harnesses)('fused store contract (broker and backend in one): $name', (harness) => {
  const open = useHarness(harness);

  it('reports an id it never saw as unknown, and a queued one as PENDING', async () => {
    const broker = await open();
    expect(await broker.getResult('no-such-id')).toBeNull();
    const e = envelope();
    await broker.enqueue([e]);
    expect((await broker.getResult(e.id))?.state).toBe('PENDING');
  });

  it('leases a message to one holder and shows it STARTED on that holder', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w1'));
    expect(r?.id).toBe(e.id);
    expect(r?.body).toBe(e.body);
    expect(r?.deliveries).toBe(1);
    const record = await broker.getResult(e.id);
    expect(record?.state).toBe('STARTED');
    expect(record?.worker).toBe('w1');
    expect(await broker.reserve(request('w2'))).toEqual([]);
  });

  it('hands out priority 0 first and keeps FIFO within a priority', async () => {
    const broker = await open();
    const low1 = envelope({ priority: 9 });
    const mid1 = envelope({ priority: 4 });
    const low2 = envelope({ priority: 9 });
    const high = envelope({ priority: 0 });
    const mid2 = envelope({ priority: 4 });
    await broker.enqueue([low1, mid1, low2, high, mid2]);
    const taken = await broker.reserve(request('w', 10));
    expect(taken.map((r) => r.id)).toEqual([high.id, mid1.id, mid2.id, low1.id, low2.id]);
  });

  it('keeps the first copy of an id, whether it came in an earlier call or earlier in the same call', async () => {
    const broker = await open();
    const queued = envelope({ task: 'first' });
    await broker.enqueue([queued]);
    const [a, b, c] = [envelope(), envelope({ priority: 0 }), envelope()];
    // All ids new, one given twice; then a known id beside new ones (the two paths a batch takes).
    await broker.enqueue([b, a, envelope({ id: b.id, task: 'second copy', priority: 0 })]);
    await broker.enqueue([envelope({ id: queued.id, task: 'resent' }), c, envelope({ id: c.id, task: 'second copy' })]);
    const taken = await broker.reserve(request('w', 10));
    expect(taken.map((r) => r.id)).toEqual([b.id, queued.id, a.id, c.id]);
    expect(taken.map((r) => r.body)).toEqual([b.body, queued.body, a.body, c.body]);
  });

  it('acks a lease once when one batch of finishes holds it twice', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    // Issued in one tick, so a broker that batches finishes sends both in one call.
    const outcomes = await Promise.all([broker.finish(r!.lease, success(e.id, 'one')), broker.finish(r!.lease, success(e.id, 'two'))]);
    expect(outcomes.map((o) => o.accepted).sort()).toEqual([false, true]);
    expect((await broker.getResult(e.id))?.result).toBe(outcomes[0]!.accepted ? 'one' : 'two');
  });

  it('tries queues in the order given', async () => {
    const broker = await open();
    const a = envelope({ queue: 'a' });
    const b = envelope({ queue: 'b', priority: 0 });
    await broker.enqueue([b, a]);
    const [first] = await broker.reserve(request('w', 1, { queues: ['a', 'b'] }));
    expect(first?.id).toBe(a.id);
    const [second] = await broker.reserve(request('w', 1, { queues: ['a', 'b'] }));
    expect(second?.id).toBe(b.id);
    expect(second?.queue).toBe('b');
  });

  it('acks and stores the result in one finish, and can hand back the next message', async () => {
    const broker = await open();
    const [e1, e2] = [envelope(), envelope()];
    await broker.enqueue([e1, e2]);
    const [r1] = await broker.reserve(request('w'));
    const outcome = await broker.finish(r1!.lease, success(e1.id, { n: 42 }), request('w'));
    expect(outcome.accepted).toBe(true);
    expect(outcome.next.map((r) => r.id)).toEqual([e2.id]);
    const record = await broker.getResult(e1.id);
    expect(record?.state).toBe('SUCCESS');
    expect(record?.result).toEqual({ n: 42 });
    await broker.finish(outcome.next[0]!.lease, success(e2.id));
    expect(await broker.reserve(request('w'))).toEqual([]);
  });

  it('refuses a finish with a token that is not the current lease, storing nothing', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    const refused = await broker.finish({ id: e.id, token: 'forged' }, success(e.id, 'forged'));
    expect(refused.accepted).toBe(false);
    expect((await broker.getResult(e.id))?.state).toBe('STARTED');
    expect((await broker.finish(r!.lease, success(e.id))).accepted).toBe(true);
  });

  it('hands a message whose lease lapsed to another holder and refuses the old holder', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [old] = await broker.reserve(request('dead-worker', 1, { leaseMs: 150 }));
    const [taken] = await waitFor(async () => {
      const got = await broker.reserve(request('live-worker'));
      return got.length > 0 ? got : null;
    }, 'the lapsed lease to be taken over');
    expect(taken!.id).toBe(e.id);
    expect(taken!.deliveries).toBe(2);
    expect((await broker.finish(old!.lease, success(e.id, 'late'))).accepted).toBe(false);
    expect((await broker.finish(taken!.lease, success(e.id, 'on time'))).accepted).toBe(true);
    expect((await broker.getResult(e.id))?.result).toBe('on time');
  });

  it('keeps a lease alive while it is extended, and reports forged leases as lost', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w', 1, { leaseMs: 300 }));
    const until = Date.now() + 900;
    while (Date.now() < until) {
      expect(await broker.extendLeases([r!.lease], 300)).toEqual([]);
      expect(await broker.reserve(request('thief'))).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const forged = { id: e.id, token: 'nope' };
    expect(await broker.extendLeases([r!.lease, forged], 300)).toEqual([forged]);
  });

  it('keeps a delayed message until its eta, then hands it out', async () => {
    const broker = await open();
    const e = envelope({ etaMs: Date.now() + 400 });
    await broker.enqueue([e]);
    expect((await broker.stats(['default']))[0]).toMatchObject({ ready: 0, scheduled: 1 });
    expect(await broker.reserve(request('w'))).toEqual([]);
    const [r] = await waitFor(async () => {
      const got = await broker.reserve(request('w'));
      return got.length > 0 ? got : null;
    }, 'the eta message to become ready');
    expect(r!.id).toBe(e.id);
    expect(Date.now()).toBeGreaterThanOrEqual(e.etaMs!);
  });

  it('wakes a waiting reserve when a message arrives', async () => {
    const broker = await open();
    const e = envelope();
    const waiting = broker.reserve(request('w', 1, { waitMs: 5000 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await broker.enqueue([e]);
    const taken = await waiting;
    expect(taken.map((r) => r.id)).toEqual([e.id]);
  });

  it('ends a waiting reserve when its signal aborts', async () => {
    const broker = await open();
    const abort = new AbortController();
    const waiting = broker.reserve(request('w', 1, { waitMs: 60_000, signal: abort.signal }));
    abort.abort();
    expect(await waiting).toEqual([]);
  });

  it('hands released messages back ahead of newer ones', async () => {
    const broker = await open();
    const [e1, e2, e3] = [envelope(), envelope(), envelope()];
    await broker.enqueue([e1, e2]);
    const taken = await broker.reserve(request('w', 2));
    await broker.enqueue([e3]);
    expect(await broker.release(taken.map((r) => r.lease))).toBe(2);
    const again = await broker.reserve(request('w', 3));
    expect(again.map((r) => r.id)).toEqual([e1.id, e2.id, e3.id]);
    expect(await broker.release([{ id: e1.id, token: 'stale' }])).toBe(0);
  });

  it('reschedules a retry with its new body and records RETRY', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    const again = { ...envelope({ id: e.id }), body: e.body.replace('"retries":0', '"retries":1'), etaMs: Date.now() + 300 };
    const record = { id: e.id, task: 'noop', state: 'RETRY' as const, retries: 0, error: { name: 'Error', message: 'boom' } };
    expect(await broker.retry(r!.lease, again, record)).toBe(true);
    expect((await broker.getResult(e.id))?.state).toBe('RETRY');
    expect(await broker.retry(r!.lease, again, record)).toBe(false);
    const [next] = await waitFor(async () => {
      const got = await broker.reserve(request('w'));
      return got.length > 0 ? got : null;
    }, 'the retried message');
    expect(next!.body).toContain('"retries":1');
  });

  it('moves a message to dead letters with its reason, once', async () => {
    const broker = await open();
    const e = envelope({ body: '{not json' });
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    expect(await broker.deadLetter(r!.lease, 'malformed message: not JSON', null)).toBe(true);
    expect(await broker.deadLetter(r!.lease, 'again', null)).toBe(false);
    expect((await broker.stats(['default']))[0]).toMatchObject({ ready: 0, leased: 0, dead: 1 });
    expect(await broker.reserve(request('w'))).toEqual([]);
  });

  it('purges ready messages only, and says which it removed per queue', async () => {
    const broker = await open();
    await broker.enqueue([envelope(), envelope(), envelope({ queue: 'other' }), envelope({ etaMs: Date.now() + 60_000 })]);
    const leased = envelope();
    await broker.enqueue([leased]);
    // Lease the oldest ready one, so the purge has a leased message to leave alone.
    const [r] = await broker.reserve(request('w'));
    const removed = await broker.purge(['default', 'other']);
    expect(Object.fromEntries(Object.entries(removed).map(([q, tasks]) => [q, tasks.length]))).toEqual({ default: 2, other: 1 });
    expect(removed.default!.every((t) => t.task === 'noop' && t.id !== r!.id)).toBe(true);
    expect((await broker.stats(['default']))[0]).toMatchObject({ ready: 0, scheduled: 1, leased: 1 });
    expect((await broker.finish(r!.lease, null)).accepted).toBe(true);
  });

  it('counts ready, scheduled and leased per queue and the age of the oldest ready', async () => {
    const broker = await open();
    await broker.enqueue(Array.from({ length: 1000 }, () => envelope({ queue: 'bulk' })));
    await broker.enqueue([envelope({ queue: 'bulk', etaMs: Date.now() + 60_000 })]);
    await broker.reserve(request('w', 10, { queues: ['bulk'] }));
    const [s] = await broker.stats(['bulk']);
    expect(s).toMatchObject({ queue: 'bulk', ready: 990, scheduled: 1, leased: 10, dead: 0 });
    expect(s!.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
  });

  it('never hands one message to two concurrent reservers', async () => {
    const broker = await open();
    const all = Array.from({ length: 200 }, () => envelope());
    await broker.enqueue(all);
    const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => broker.reserve(request(`w${i}`, 30))));
    const ids = batches.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(200);
  });

  it('enqueues a unique key exactly once, however many race for it', async () => {
    const broker = await open();
    const results = await Promise.all(Array.from({ length: 10 }, () => broker.enqueueUnique(envelope(), 'tick:nightly:2026-11-23T03:00Z', 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await broker.stats(['default']))[0]!.ready).toBe(1);
  });

  it('wakes a result waiter when the task finishes', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    const waiting = broker.waitForResult(e.id, 10_000);
    setTimeout(() => void broker.finish(r!.lease, success(e.id, 'done')), 50);
    expect((await waiting)?.result).toBe('done');
    const early = await broker.waitForResult('unknown-id', 50);
    expect(early).toBeNull();
  });

  it('stores progress for the current holder only', async () => {
    const broker = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    const record = { id: e.id, task: 'noop', state: 'STARTED' as const, retries: 0, progress: { fraction: 0.5, note: 'half' } };
    expect(await broker.updateProgress(r!.lease, record)).toBe(true);
    expect((await broker.getResult(e.id))?.progress).toEqual({ fraction: 0.5, note: 'half' });
    expect(await broker.updateProgress({ id: e.id, token: 'x' }, record)).toBe(false);
  });

  it('expires results after their time', async () => {
    const broker = await open({ resultExpiresMs: 300 });
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    await broker.finish(r!.lease, success(e.id));
    expect((await broker.getResult(e.id))?.state).toBe('SUCCESS');
    await waitFor(async () => (await broker.getResult(e.id)) === null, 'the result to expire', 5000, 50);
  });

  it('keeps meta values, and forgets them after their ttl', async () => {
    const broker = await open();
    expect(await broker.getMeta('beat:watermark:x')).toBeNull();
    await broker.setMeta('beat:watermark:x', '123');
    expect(await broker.getMeta('beat:watermark:x')).toBe('123');
    await broker.setMeta('short', 'v', 200);
    expect(await broker.getMeta('short')).toBe('v');
    await waitFor(async () => (await broker.getMeta('short')) === null, 'the meta value to expire', 5000, 50);
  });
});
