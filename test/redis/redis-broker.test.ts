import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/runtime/brokers/broker.js';
import { openBroker } from '../../src/runtime/brokers/index.js';
import { checkEvictionPolicy } from '../../src/runtime/brokers/redis/index.js';
import { ENQUEUE_CHUNK } from '../../src/runtime/brokers/redis/redis-broker.js';
import { luaSource } from '../../src/runtime/brokers/redis/scripts.js';
import { BODY_PREVIEW_BYTES } from '../../src/runtime/brokers/broker.js';
import { envelope, request, success } from '../contract/fixtures.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/** What only the Redis broker promises: blocking without polling, bounded keys, script reloads. */
describe('redis broker', () => {
  let server: RedisServer;
  let admin: Redis;
  const opened: Broker[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  const open = async (resultExpiresMs = 60_000) => {
    const keyPrefix = `t${randomBytes(4).toString('hex')}:`;
    const broker = await openBroker({ url: server.url, projectRoot: process.cwd(), resultExpiresMs, keyPrefix });
    opened.push(broker);
    return { broker, keyPrefix };
  };
  const scriptCalls = async () => {
    const stats = await admin.info('commandstats');
    const count = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return count('evalsha') + count('eval');
  };

  it('reads no more of the event stream than it returns when batches are large', async () => {
    const { broker } = await open();
    const batch = (n: number) => Array.from({ length: 500 }, (_, i) => ({ type: 'task-sent' as const, at: new Date().toISOString(), taskId: `b${n}-${i}`, task: 'noop', queue: 'default' }));
    for (let n = 0; n < 30; n++) await broker.appendEvents(batch(n));
    const [first] = await broker.readEvents(null, 1, 0);
    const sent = async () => Number(/total_net_output_bytes:(\d+)/.exec(await admin.info('stats'))?.[1]);
    const before = await sent();
    const events = await broker.readEvents(first!.eventId.replace(/:\d+$/, ':499'), 500, 0);
    const bytes = (await sent()) - before;
    expect(events.map((e) => e.taskId)).toEqual(batch(1).map((e) => e.taskId));
    const beforeAll = await sent();
    expect(await broker.readEvents(null, 20_000, 0)).toHaveLength(15_000);
    const perEntry = ((await sent()) - beforeAll) / 30;
    expect(bytes).toBeLessThan(3 * perEntry); // the entry resumed in and the next one, not 20 entries
  });

  it('blocks an idle reserve on Redis instead of polling it', async () => {
    const { broker } = await open();
    const before = await scriptCalls();
    const started = Date.now();
    expect(await broker.reserve(request('w', 1, { waitMs: 1_500 }))).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    // One reserve before blocking, one after the wait: nothing in between.
    expect((await scriptCalls()) - before).toBeLessThanOrEqual(3);
  });

  it('wakes a blocked reserve when a delayed message falls due, not at the end of its wait', async () => {
    const { broker } = await open();
    const waiting = broker.reserve(request('w', 1, { waitMs: 10_000 }));
    await new Promise((r) => setTimeout(r, 50));
    const e = envelope({ etaMs: Date.now() + 300 });
    await broker.enqueue([e]);
    const started = Date.now();
    const [got] = await waiting;
    expect(got?.id).toBe(e.id);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('hands a lapsed lease to a worker blocked on the queue', async () => {
    const { broker } = await open();
    const e = envelope();
    await broker.enqueue([e]);
    await broker.reserve(request('dead-worker', 1, { leaseMs: 300 }));
    const started = Date.now();
    const [got] = await broker.reserve(request('alive', 1, { waitMs: 10_000 }));
    expect(got?.id).toBe(e.id);
    expect(got?.deliveries).toBe(2);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('wakes as many blocked workers as messages arrive', async () => {
    const { broker } = await open();
    const waiters = [1, 2, 3].map((n) => broker.reserve(request(`w${n}`, 1, { waitMs: 5_000 })));
    await new Promise((r) => setTimeout(r, 50));
    await broker.enqueue([envelope(), envelope(), envelope()]);
    const started = Date.now();
    const got = (await Promise.all(waiters)).flat();
    expect(got).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('leaves only the result, with its TTL, once a task is finished', async () => {
    const { broker, keyPrefix } = await open(5_000);
    const e = envelope();
    await broker.enqueue([e]);
    const [r] = await broker.reserve(request('w'));
    expect((await broker.finish(r!.lease, success(e.id))).accepted).toBe(true);
    const keys = (await admin.keys(`${keyPrefix}*`)).map((k) => k.slice(keyPrefix.length)).sort();
    // The leased set stays, holding only its anchor (a member that keeps it a skiplist).
    expect(keys).toEqual(['q:default:leased', 'q:default:marker', 'queues', `r:${e.id}`, 'seq'].sort());
    expect(await admin.zrange(`${keyPrefix}q:default:leased`, 0, -1, 'WITHSCORES')).toEqual([expect.stringMatching(/^~ anchor/), 'inf']);
    expect(await admin.object('ENCODING', `${keyPrefix}q:default:leased`)).toBe('skiplist');
    const ttl = await admin.pttl(`${keyPrefix}r:${e.id}`);
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
  });

  it('enqueues in bulk with a few script calls, not one per message', async () => {
    const { broker } = await open();
    const before = await scriptCalls();
    await broker.enqueue(Array.from({ length: 1_200 }, () => envelope()));
    // One call per chunk (sent pipelined, in one round trip), far fewer than one per message.
    expect((await scriptCalls()) - before).toBe(Math.ceil(1_200 / ENQUEUE_CHUNK));
    expect(ENQUEUE_CHUNK).toBeGreaterThanOrEqual(50);
    expect((await broker.stats(['default']))[0]!.ready).toBe(1_200);
  });

  it('enqueues and leases more messages in one script call than Lua unpacks at once', async () => {
    const { broker, keyPrefix } = await open();
    // 1,500 messages in ONE enqueue call (the broker itself sends 100 per call): the shared
    // EXISTS and ZADD go to Redis in slices, and so does the reserve's ZADD of 1,500 leases.
    const envelopes = Array.from({ length: 1_500 }, () => envelope());
    const args = envelopes.flatMap((e) => [e.id, e.queue, e.priority, 0, e.body]);
    expect(await admin.eval(luaSource('enqueue'), 0, keyPrefix, '', 1000, ...args)).toEqual([]); // none skipped
    const taken = await broker.reserve(request('w', 1_500));
    expect(taken.map((r) => r.id)).toEqual(envelopes.map((e) => e.id));
    expect((await broker.stats(['default']))[0]).toMatchObject({ ready: 0, leased: 1_500 });
    const outcomes = await Promise.all(taken.map((r) => broker.finish(r.lease, success(r.id))));
    expect(outcomes.every((o) => o.accepted)).toBe(true);
    expect((await broker.stats(['default']))[0]).toMatchObject({ ready: 0, leased: 0 });
  });

  it('keeps a lease whose deadline is beyond exact integers (no wrap to a past deadline)', async () => {
    const { broker } = await open();
    const e = envelope();
    await broker.enqueue([e]);
    const [held] = await broker.reserve(request('w1', 1, { leaseMs: 1e19 }));
    expect(held?.id).toBe(e.id);
    expect(await broker.reserve(request('w2'))).toEqual([]);
    expect((await broker.finish(held!.lease, success(e.id))).accepted).toBe(true);
  });

  it('sends listings only a preview of each long body, not the body', async () => {
    const { broker, keyPrefix } = await open();
    const big = (etaMs: number | null) => {
      const e = envelope({ etaMs });
      return { ...e, body: JSON.stringify({ ...JSON.parse(e.body), args: ['x'.repeat(200_000)] }) };
    };
    const [delayed, failing] = [big(Date.now() + 60_000), big(null)];
    await broker.enqueue([delayed, failing]);
    const [r] = await broker.reserve(request('w'));
    await broker.deadLetter(r!.lease, 'failed', null);
    const scheduled = (await admin.eval(luaSource('list-scheduled'), 0, keyPrefix, 10, BODY_PREVIEW_BYTES)) as string[];
    const dead = (await admin.eval(luaSource('list-dead'), 0, keyPrefix, 10, BODY_PREVIEW_BYTES)) as string[];
    expect(scheduled[3]).toHaveLength(BODY_PREVIEW_BYTES);
    expect(scheduled[4]).toBe(Buffer.byteLength(delayed.body));
    expect(JSON.parse(dead[0]!)).toMatchObject({ id: failing.id, body: failing.body.slice(0, BODY_PREVIEW_BYTES), bodyBytes: Buffer.byteLength(failing.body) });
    expect((await broker.listDead(10))[0]!.body).toMatch(/^\{.*… \(\d+ more bytes\)$/s);
  });

  it('batches finishes made together into one script call, each fenced on its own', async () => {
    const { broker } = await open();
    await broker.enqueue(Array.from({ length: 10 }, () => envelope()));
    const taken = await broker.reserve(request('w', 10));
    const before = await scriptCalls();
    const forged = { id: taken[0]!.id, token: 'forged' };
    const outcomes = await Promise.all([
      broker.finish(forged, success(forged.id, 'forged'), request('w', 1)),
      ...taken.map((r) => broker.finish(r.lease, success(r.id), request('w', 1))),
    ]);
    expect((await scriptCalls()) - before).toBe(1);
    expect(outcomes.map((o) => o.accepted)).toEqual([false, ...taken.map(() => true)]);
    expect((await broker.getResult(forged.id))?.result).toBe('ok');
  });

  it('runs its scripts again after Redis forgot them (SCRIPT FLUSH, or a restart)', async () => {
    const { broker } = await open();
    await broker.enqueue([envelope()]);
    await admin.script('FLUSH');
    const e = envelope();
    await broker.enqueue([e]);
    expect(await broker.reserve(request('w', 2))).toHaveLength(2);
  });

  it("reports Redis's eviction policy, so the worker can warn when it is not noeviction", async () => {
    const { broker } = await open();
    expect(await checkEvictionPolicy(broker)).toBe('noeviction');
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      expect(await checkEvictionPolicy(broker)).toBe('allkeys-lru');
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('keeps queues of different prefixes apart on one server', async () => {
    const a = await open();
    const b = await open();
    await a.broker.enqueue([envelope()]);
    expect(await b.broker.reserve(request('w'))).toEqual([]);
    expect(await a.broker.reserve(request('w'))).toHaveLength(1);
  });

  it('stores a record with no lease and wakes its waiter when it is final', async () => {
    const { broker } = await open();
    const waiting = broker.waitForResult('no-lease', 5_000);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await broker.storeResult(success('no-lease', 42));
    expect((await waiting)?.result).toBe(42);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('spaces starts under a shared rate limit, and refuses a slot too far away', async () => {
    const { broker } = await open();
    const first = await broker.acquireRateSlot('mail', 1_000, 5_000);
    const second = await broker.acquireRateSlot('mail', 1_000, 5_000);
    expect(first).toEqual({ granted: true, waitMs: 0 });
    expect(second.granted).toBe(true);
    expect(second.waitMs).toBeGreaterThan(900);
    const refused = await broker.acquireRateSlot('mail', 1_000, 1_500);
    expect(refused.granted).toBe(false);
    expect(refused.waitMs).toBeGreaterThan(1_500);
    expect((await broker.acquireRateSlot('other', 1_000, 0)).granted).toBe(true);
  });
});
