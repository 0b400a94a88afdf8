import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Reservation } from '../../src/runtime/brokers/broker.js';
import { SqliteBroker } from '../../src/runtime/brokers/sqlite/sqlite-broker.js';
import type { ResultRecord } from '../../src/runtime/states.js';
import { waitFor } from '../support/wait.js';
import { envelope, request, success } from '../contract/fixtures.js';

const require = createRequire(import.meta.url);

/**
 * Group commit in the SQLite broker: the per-task writes of one event-loop
 * turn share one transaction, yet each keeps its own fenced outcome, and a
 * lone write waits for nothing.
 */
describe('SQLite group commit', () => {
  const dirs: string[] = [];
  const brokers: SqliteBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A broker on a fresh file, and `another()` connection on the same file (as another process would hold). */
  async function open(): Promise<{ broker: SqliteBroker; another(): Promise<SqliteBroker> }> {
    const dir = mkdtempSync(join(tmpdir(), 'tq-group-commit-'));
    dirs.push(dir);
    const connect = async () => {
      const b = new SqliteBroker({ url: `sqlite://${join(dir, 'tq.db')}`, projectRoot: dir, resultExpiresMs: 60_000, keyPrefix: 'tq:' });
      await b.connect();
      brokers.push(b);
      return b;
    };
    return { broker: await connect(), another: connect };
  }

  /** Five reservations held by `worker-a`, the first of which `worker-b` has since taken over (its lease lapsed). */
  async function fiveWithOneTakenOver(broker: SqliteBroker): Promise<{ held: Reservation[]; stale: Reservation; takenOver: Reservation }> {
    await broker.enqueue(Array.from({ length: 4 }, () => envelope()));
    const others = await broker.reserve(request('worker-a', 4));
    await broker.enqueue([envelope()]);
    const [stale] = await broker.reserve(request('worker-a', 1, { leaseMs: 1 }));
    const takenOver = await waitFor(async () => (await broker.reserve(request('worker-b', 1)))[0], 'worker-b to take over the lapsed lease');
    expect(takenOver.id).toBe(stale!.id);
    return { held: [stale!, ...others], stale: stale!, takenOver };
  }

  it('finishes five in one transaction: the one whose lease was taken over is refused, the other four are accepted and durable', async () => {
    const { broker, another } = await open();
    const { held, stale, takenOver } = await fiveWithOneTakenOver(broker);
    const before = { ...broker.commits.counts };

    const outcomes = await Promise.all(held.map((r) => broker.finish(r.lease, success(r.id, `done ${r.id}`))));

    expect(outcomes.map((o) => o.accepted)).toEqual([false, true, true, true, true]);
    expect(broker.commits.counts).toEqual({ transactions: before.transactions + 1, writes: before.writes + 5 });
    // Read through a second connection: what was accepted is on the file, the refused one wrote nothing.
    const reader = await another();
    for (const r of held.slice(1)) expect(await reader.getResult(r.id)).toMatchObject({ state: 'SUCCESS', result: `done ${r.id}` });
    expect(await reader.getResult(stale.id)).toMatchObject({ state: 'STARTED', worker: 'worker-b' });
    expect(await reader.stats(['default'])).toMatchObject([{ ready: 0, leased: 1, scheduled: 0 }]);
    // The new holder's finish still stands.
    expect((await broker.finish(takenOver.lease, success(takenOver.id))).accepted).toBe(true);
    expect(await reader.stats(['default'])).toMatchObject([{ ready: 0, leased: 0, scheduled: 0 }]);
  });

  it('rolls back alone a write that throws in a shared transaction: its message stays leased, the others commit', async () => {
    const { broker, another } = await open();
    await broker.enqueue(Array.from({ length: 3 }, () => envelope()));
    const held = await broker.reserve(request('worker-a', 3));
    // A BigInt cannot be stored as JSON: this finish throws after its ack ran, inside its savepoint.
    const unstorable: ResultRecord = { ...success(held[1]!.id), result: 10n };
    const before = { ...broker.commits.counts };

    const settled = await Promise.allSettled([
      broker.finish(held[0]!.lease, success(held[0]!.id)),
      broker.finish(held[1]!.lease, unstorable),
      broker.finish(held[2]!.lease, success(held[2]!.id)),
    ]);

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(broker.commits.counts).toEqual({ transactions: before.transactions + 1, writes: before.writes + 3 });
    const reader = await another();
    expect(await reader.getResult(held[0]!.id)).toMatchObject({ state: 'SUCCESS' });
    expect(await reader.getResult(held[2]!.id)).toMatchObject({ state: 'SUCCESS' });
    // Its ack was undone with it: the message is still leased to worker-a, who can finish it properly.
    expect(await reader.getResult(held[1]!.id)).toMatchObject({ state: 'STARTED', worker: 'worker-a' });
    expect((await broker.finish(held[1]!.lease, success(held[1]!.id))).accepted).toBe(true);
    expect(await reader.stats(['default'])).toMatchObject([{ ready: 0, leased: 0, scheduled: 0 }]);
  });

  it('commits a lone finish at the end of the event-loop turn it was made in, waiting for no timer', async () => {
    const { broker, another } = await open();
    await broker.enqueue([envelope()]);
    const [r] = await broker.reserve(request('worker-a', 1));
    const before = { ...broker.commits.counts };
    // Timers stand still from here: a finish that waited for one (a fixed delay) would never settle.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    let first: unknown;
    try {
      const finished = broker.finish(r!.lease, success(r!.id));
      // Queued after the finish: a finish that waited for a later turn would lose the race.
      const laterTurn = new Promise((resolve) => setImmediate(() => resolve('a later callback ran first')));
      first = await Promise.race([finished.then((o) => o.accepted), laterTurn]);
    } finally {
      vi.useRealTimers();
    }

    expect(first).toBe(true);
    expect(broker.commits.counts).toEqual({ transactions: before.transactions + 1, writes: before.writes + 1 });
    expect(await (await another()).getResult(r!.id)).toMatchObject({ state: 'SUCCESS' });
  });

  it('gathers reserve with the finishes of its turn, each reserve getting messages of its own', async () => {
    const { broker } = await open();
    await broker.enqueue(Array.from({ length: 6 }, () => envelope()));
    const held = await broker.reserve(request('worker-a', 2));
    const before = { ...broker.commits.counts };

    const [f1, f2, taken1, taken2] = await Promise.all([
      broker.finish(held[0]!.lease, success(held[0]!.id), request('worker-a', 1)),
      broker.finish(held[1]!.lease, success(held[1]!.id)),
      broker.reserve(request('worker-a', 1)),
      broker.reserve(request('worker-b', 2)),
    ]);

    expect([f1.accepted, f2.accepted]).toEqual([true, true]);
    expect(broker.commits.counts).toEqual({ transactions: before.transactions + 1, writes: before.writes + 4 });
    const ids = [...f1.next, ...taken1, ...taken2].map((t) => t.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    expect(await broker.stats(['default'])).toMatchObject([{ ready: 0, leased: 4 }]);
  });

  it('renews leases before the finishes of its turn: a lease finished in the same turn is not reported lost, a taken-over one is', async () => {
    const { broker } = await open();
    const { held, stale } = await fiveWithOneTakenOver(broker);
    const [finishing, ...running] = held.slice(1);

    const finished = broker.finish(finishing!.lease, success(finishing!.id));
    const lost = await broker.extendLeases([stale.lease, finishing!.lease, ...running.map((r) => r.lease)], 30_000);

    expect((await finished).accepted).toBe(true);
    expect(lost.map((l) => l.id)).toEqual([stale.id]);
  });

  it('waits out a write lock another process holds (SQLITE_BUSY), then commits the whole batch', async () => {
    const { broker, another } = await open();
    await broker.enqueue(Array.from({ length: 3 }, () => envelope()));
    const held = await broker.reserve(request('worker-a', 3));
    const file = join(dirs.at(-1)!, 'tq.db');
    // Another process takes the write lock, says so, holds it for 500 ms while it writes a row of its own, then commits.
    const holder = spawn(process.execPath, ['-e', `
      const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(file)});
      db.exec('BEGIN IMMEDIATE');
      db.prepare("INSERT INTO meta (key, value) VALUES ('held-by', 'other process')").run();
      console.log('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      db.exec('COMMIT');
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));

    const outcomes = await Promise.all(held.map((r) => broker.finish(r.lease, success(r.id))));

    expect(await exited).toBe(0);
    expect(outcomes.map((o) => o.accepted)).toEqual([true, true, true]);
    const reader = await another();
    for (const r of held) expect(await reader.getResult(r.id)).toMatchObject({ state: 'SUCCESS' });
    expect(await reader.getMeta('held-by')).toBe('other process');
  });

  it('commits the writes gathered so far when the broker closes, instead of dropping them', async () => {
    const { broker, another } = await open();
    await broker.enqueue([envelope()]);
    const [r] = await broker.reserve(request('worker-a', 1));

    const finished = broker.finish(r!.lease, success(r!.id));
    await broker.close();

    expect((await finished).accepted).toBe(true);
    expect(await (await another()).getResult(r!.id)).toMatchObject({ state: 'SUCCESS' });
  });
});
