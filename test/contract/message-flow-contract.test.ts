import { describe, expect, it } from 'vitest';
import type { Broker, Reservation } from '../../src/runtime/brokers/broker.js';
import { waitFor } from '../support/wait.js';
import { envelope, request } from './fixtures.js';
import { flowHarnesses, useFlow } from './flow-harness.js';

/**
 * The message-flow contract (brokers/broker.ts): every broker, RabbitMQ
 * included, passes every test here, through Broker verbs only. Where a
 * guarantee takes another form on a broker (a lease that lapses, or a
 * delivery that goes back with its channel), the harness's traits say so.
 */
describe.each(flowHarnesses)('message flow contract: $name', (harness) => {
  const env = useFlow(harness);
  const { traits } = harness;
  /** Short leases where they lapse, so a lost holder shows within a second. */
  const LEASE_MS = 400;
  const take = async (broker: Broker, max = 1, queues = ['default'], waitMs = 5_000) => broker.reserve(request('w', max, { queues, leaseMs: 30_000, waitMs }));
  /** Reserves until `n` messages came, waiting for each (pushed deliveries may arrive one by one). */
  const takeAll = async (broker: Broker, n: number, queues = ['default']): Promise<Reservation[]> => {
    const got: Reservation[] = [];
    while (got.length < n) {
      const more = await broker.reserve(request('w', n - got.length, { queues, waitMs: 5_000 }));
      if (more.length === 0) break;
      got.push(...more);
    }
    return got;
  };
  /** Makes `holder` lose its lease on a message, the way this broker loses one: lapse, or a closed connection. */
  const loseHolder = async (holder: Broker) => {
    if (traits.leases === 'channel') await holder.close();
  };

  it('hands a message to one holder, with its body and its delivery count', async () => {
    const broker = await env.open();
    const other = await env.peer(broker);
    const e = envelope();
    expect(await broker.enqueue([e])).toEqual([]);
    const [r] = await take(broker);
    expect(r).toMatchObject({ id: e.id, queue: 'default', body: e.body, deliveries: 1 });
    expect(await other.reserve(request('w2', 1, { waitMs: 300 }))).toEqual([]);
    expect((await broker.ack(r!.lease)).accepted).toBe(true);
  });

  it('hands out priority 0 first and keeps FIFO within a priority', async () => {
    const broker = await env.open();
    const [low1, mid1, low2, high, mid2] = [9, 4, 9, 0, 4].map((priority) => envelope({ priority }));
    await broker.enqueue([low1!, mid1!, low2!, high!, mid2!]);
    const producer = await env.peer(broker); // the worker starts after they were all sent
    const taken = await takeAll(producer, 5);
    expect(taken.map((r) => r.id)).toEqual([high!.id, mid1!.id, mid2!.id, low1!.id, low2!.id]);
  });

  it('tries queues in the order given', async () => {
    const broker = await env.open();
    const a = envelope({ queue: 'a' });
    const b = envelope({ queue: 'b', priority: 0 });
    await broker.enqueue([b, a]);
    const worker = await env.peer(broker);
    const both = await takeAll(worker, 2, ['a', 'b']);
    expect(both.map((r) => [r.id, r.queue])).toEqual([[a.id, 'a'], [b.id, 'b']]);
  });

  it('removes a message only with the ack of its holder, once', async () => {
    const broker = await env.open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await take(broker);
    expect((await broker.ack({ id: e.id, token: 'forged' })).accepted).toBe(false);
    expect((await broker.ack(r!.lease)).accepted).toBe(true);
    expect((await broker.ack(r!.lease)).accepted).toBe(false);
    await broker.close();
    const later = await env.peer(broker);
    expect(await later.reserve(request('w', 1, { waitMs: LEASE_MS * 2 }))).toEqual([]);
  });

  it('gives the message of a holder that is gone to another holder, and refuses the old holder', async () => {
    const holder = await env.open();
    const next = await env.peer(holder);
    const e = envelope();
    await holder.enqueue([e]);
    const [old] = await holder.reserve(request('gone', 1, { leaseMs: LEASE_MS, waitMs: 5_000 }));
    expect(old?.id).toBe(e.id);
    await loseHolder(holder);
    const [taken] = await waitFor(async () => {
      const got = await next.reserve(request('live', 1, { waitMs: 1_000 }));
      return got.length > 0 ? got : null;
    }, 'the message to come back', 15_000);
    expect(taken).toMatchObject({ id: e.id, body: e.body, deliveries: 2 });
    if (traits.leases === 'lapse') {
      expect((await holder.ack(old!.lease)).accepted).toBe(false);
      expect(await holder.extendLeases([old!.lease], LEASE_MS)).toEqual([old!.lease]);
    }
    expect((await next.ack(taken!.lease)).accepted).toBe(true);
  });

  it('keeps a held lease alive through extendLeases, and reports one it does not hold as lost', async () => {
    const broker = await env.open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w', 1, { leaseMs: LEASE_MS, waitMs: 5_000 }));
    const forged = { id: e.id, token: 'nope' };
    expect(await broker.extendLeases([r!.lease, forged], LEASE_MS)).toEqual([forged]);
    expect((await broker.ack(r!.lease)).accepted).toBe(true);
  });

  it('keeps a retried message until its eta, with its new body', async () => {
    const broker = await env.open();
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await take(broker);
    const again = { ...e, body: e.body.replace('"retries":0', '"retries":1'), etaMs: Date.now() + 500 };
    expect(await broker.retry(r!.lease, again)).toBe(true);
    expect(await broker.retry(r!.lease, again)).toBe(false);
    const [back] = await take(broker, 1, ['default'], 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(again.etaMs);
    expect(back?.body).toContain('"retries":1');
  });

  it('runs a short delay sent after a long one first, and lists both with their eta', async () => {
    const broker = await env.open();
    const long = envelope({ etaMs: Date.now() + 3_600_000 });
    // Long enough to still be scheduled when listed on a loaded machine (400 ms was not, in CI).
    const short = envelope({ etaMs: Date.now() + 2_500 });
    await broker.enqueue([long]);
    await broker.enqueue([short]);
    const listed = await broker.listScheduled(10);
    expect(listed.map((s) => s.id)).toEqual([short.id, long.id]);
    expect(Date.parse(listed[1]!.eta)).toBeGreaterThanOrEqual(long.etaMs! - 1000);
    const [first] = await take(broker, 1, ['default'], 10_000);
    expect(first?.id).toBe(short.id);
    expect(Date.now()).toBeGreaterThanOrEqual(short.etaMs!);
  });

  it('hands released messages back at once, for another holder', async () => {
    const broker = await env.open();
    const [e1, e2] = [envelope(), envelope()];
    await broker.enqueue([e1, e2]);
    const taken = await takeAll(broker, 2);
    expect(await broker.release(taken.map((r) => r.lease))).toBe(2);
    expect(await broker.release([{ id: e1.id, token: 'stale' }])).toBe(0);
    await broker.close(); // nothing held here any more: a release is not a close
    const other = await env.peer(broker);
    expect((await takeAll(other, 2)).map((r) => r.id).sort()).toEqual([e1.id, e2.id].sort());
  });

  it('dead-letters with the reason and the whole body, lists it, and puts it back on requeue', async () => {
    const broker = await env.open();
    const big = envelope({ task: `big-${'x'.repeat(100_000)}` });
    await broker.enqueue([big]);
    const [r] = await take(broker);
    expect(r!.body).toBe(big.body);
    expect(await broker.deadLetter(r!.lease, 'malformed message: test')).toBe(true);
    expect(await broker.deadLetter(r!.lease, 'again')).toBe(false);
    const [letter] = await broker.listDead(10);
    expect(letter).toMatchObject({ id: big.id, queue: 'default', reason: 'malformed message: test' });
    expect(letter!.body.length).toBeLessThan(big.body.length); // a preview
    expect(await broker.requeueDead([big.id])).toBe(1);
    expect(await broker.listDead(10)).toEqual([]);
    const [again] = await take(broker);
    expect(again?.body).toBe(big.body);
  });

  it('purges ready messages only, saying which', async () => {
    const holder = await env.open();
    await holder.enqueue([envelope()]);
    // A window of one: a broker that pushes (RabbitMQ) hands this holder nothing more than the one it leases.
    const [r] = await holder.reserve(request('w', 1, { waitMs: 5_000, window: 1 }));
    const admin = await env.peer(holder);
    const [a, b] = [envelope({ task: 'a' }), envelope({ task: 'b' })];
    const delayed = envelope({ etaMs: Date.now() + 60_000 });
    await admin.enqueue([a, b, delayed]);
    const removed = await admin.purge(['default']);
    expect(removed.default!.map((t) => [t.id, t.task]).sort()).toEqual([[a.id, 'a'], [b.id, 'b']].sort());
    expect((await holder.ack(r!.lease)).accepted).toBe(true);
    expect((await admin.listScheduled(10)).map((s) => s.id)).toEqual([delayed.id]);
  });

  it('counts ready and dead messages per queue (and leased and delayed ones where it can)', async () => {
    const broker = await env.open();
    await broker.enqueue([envelope(), envelope(), envelope({ etaMs: Date.now() + 60_000 }), envelope({ queue: 'other' })]);
    const admin = await env.peer(broker);
    const [stats] = await admin.stats(['default']);
    expect(stats).toMatchObject({ queue: 'default', ready: 2, dead: 0 });
    if (traits.countsAll) expect(stats).toMatchObject({ scheduled: 1, leased: 0 });
    else expect(stats).toMatchObject({ scheduled: null, leased: null });
  });

  it('wakes a waiting reserve when a message arrives from elsewhere', async () => {
    const broker = await env.open();
    const producer = await env.peer(broker);
    const e = envelope();
    const waiting = broker.reserve(request('w', 1, { waitMs: 20_000 }));
    await producer.enqueue([e]);
    expect((await waiting).map((r) => r.id)).toEqual([e.id]);
  });

  it('ends a waiting reserve with nothing when its signal aborts', async () => {
    const broker = await env.open();
    const abort = new AbortController();
    const waiting = broker.reserve(request('w', 1, { waitMs: 60_000, signal: abort.signal }));
    abort.abort();
    expect(await waiting).toEqual([]);
  });

  it('takes 1,000 messages in one call and hands each out once', async () => {
    const broker = await env.open();
    const many = Array.from({ length: 1000 }, () => envelope());
    expect(await broker.enqueue(many)).toEqual([]);
    const worker = await env.peer(broker);
    const seen = new Set<string>();
    while (seen.size < many.length) {
      const got = await worker.reserve(request('w', 100, { waitMs: 5_000 }));
      expect(got.length).toBeGreaterThan(0);
      for (const r of got) {
        expect(seen.has(r.id)).toBe(false);
        seen.add(r.id);
        expect((await worker.ack(r.lease)).accepted).toBe(true);
      }
    }
  });

  it('loses no message when an ack asks for the next one', async () => {
    const broker = await env.open();
    const [e1, e2] = [envelope(), envelope()];
    await broker.enqueue([e1, e2]);
    const [r1] = await take(broker);
    const outcome = await broker.ack(r1!.lease, request('w'));
    expect(outcome.accepted).toBe(true);
    const second = outcome.next[0] ?? (await take(broker))[0];
    expect([r1!.id, second?.id]).toEqual([e1.id, e2.id]);
  });

  // Each broker gets the one of these two that fits it (defined, not skipped: neither is a missing tool).
  const byIds = (knows: boolean) => (traits.knowsIds === knows ? it : (_name: string, _fn: () => Promise<void>) => undefined);
  byIds(true)('keeps one copy of an id and removes a waiting message by id', async () => {
    const broker = await env.open();
    const [e, gone] = [envelope(), envelope({ etaMs: Date.now() + 60_000 })];
    expect(await broker.enqueue([e, envelope({ id: e.id, task: 'second copy' }), gone])).toEqual([e.id]);
    expect(await broker.removeWaiting([gone.id, 'unknown'])).toEqual([gone.id]);
    expect((await broker.peekReady(['default'], 10)).map((c) => [c.task, c.count])).toEqual([['noop', 1]]);
    const [r] = await take(broker);
    expect(r?.body).toBe(e.body);
    expect(await broker.removeWaiting([e.id])).toEqual([]); // leased: left to its holder
  });

  byIds(false)('cannot tell ids, remove by id or peek, and says so by doing nothing', async () => {
    const broker = await env.open();
    const e = envelope();
    expect(await broker.enqueue([e])).toEqual([]);
    expect(await broker.removeWaiting([e.id])).toEqual([]);
    expect(await broker.peekReady(['default'], 10)).toEqual([]);
    const [r] = await take(broker);
    expect(r?.id).toBe(e.id);
  });
});
