import { describe, expect, it } from 'vitest';
import { harnesses } from './brokers.js';
import { useHarness } from './harness.js';
import { envelope, request, success } from './fixtures.js';

/**
 * The broker contract, continued: which ids an enqueue refuses, what a purge
 * leaves behind for waiters, and what a peek at the ready messages reports.
 */
describe.each(harnesses)('broker contract (ids, purge, peek): $name', (harness) => {
  const open = useHarness(harness);

  it('reports the ids it did not add: one queued, one with a stored result, one given twice in the call', async () => {
    const broker = await open();
    const queued = envelope({ task: 'first' });
    const finished = envelope();
    expect(await broker.enqueue([queued, finished])).toEqual([]);
    const [q, f] = await broker.reserve(request('w', 2));
    await broker.finish(f!.lease, success(finished.id, 3));
    await broker.release([q!.lease]);

    // A single send of a known id: the single-message path.
    expect(await broker.enqueue([envelope({ id: finished.id, task: 'add again' })])).toEqual([finished.id]);
    expect(await broker.enqueue([envelope({ id: queued.id, task: 'second copy' })])).toEqual([queued.id]);
    // A bulk: known ids beside new ones, and a new id given twice.
    const fresh = envelope();
    const twice = envelope();
    const skipped = await broker.enqueue([envelope({ id: queued.id, task: 'x' }), fresh, twice, envelope({ id: twice.id, task: 'second copy' }), envelope({ id: finished.id, task: 'y' })]);
    expect(skipped).toEqual([queued.id, twice.id, finished.id]);

    // Nothing refused was written: the first copies and the result are as they were.
    expect((await broker.getResult(finished.id))?.result).toBe(3);
    const taken = await broker.reserve(request('w', 10));
    expect(taken.map((t) => t.id).sort()).toEqual([queued.id, fresh.id, twice.id].sort());
    expect(taken.find((t) => t.id === queued.id)!.body).toBe(queued.body);
    expect(taken.find((t) => t.id === twice.id)!.body).toBe(twice.body);
  });

  it('reports an id given twice in a bulk larger than one broker call (Redis sends 100 a call)', async () => {
    const broker = await open();
    const envelopes = Array.from({ length: 250 }, () => envelope());
    const again = envelope({ id: envelopes[3]!.id, task: 'second copy' });
    envelopes.splice(180, 0, again);
    expect(await broker.enqueue(envelopes)).toEqual([again.id]);
    const taken = await broker.reserve(request('w', 300));
    expect(taken).toHaveLength(250);
    expect(taken.find((t) => t.id === again.id)!.body).toBe(envelopes[3]!.body);
  });

  it('counts the same message sent again (same id, same body, still queued) as added, not as a duplicate', async () => {
    const broker = await open();
    const e = envelope();
    expect(await broker.enqueue([e])).toEqual([]);
    expect(await broker.enqueue([e])).toEqual([]);
    expect(await broker.enqueue([e, envelope()])).toEqual([]);
    expect((await broker.stats(['default']))[0]!.ready).toBe(2);
  });

  it('appends no task-sent event for a single message it did not add', async () => {
    const broker = await open();
    const e = envelope();
    const sent = (id: string) => [{ type: 'task-sent' as const, at: new Date().toISOString(), taskId: id, task: 'noop', queue: 'default' }];
    await broker.enqueue([e], sent(e.id));
    expect(await broker.enqueue([envelope({ id: e.id, task: 'other' })], sent(e.id))).toEqual([e.id]);
    const events = await broker.readEvents(null, 100, 0);
    expect(events.filter((ev) => ev.taskId === e.id).map((ev) => ev.type)).toEqual(['task-sent']);
  });

  it('records every purged task REVOKED (reason purged) at once, wakes its waiter, and leaves other messages alone', async () => {
    const broker = await open();
    const [a, b] = [envelope(), envelope()];
    const scheduled = envelope({ etaMs: Date.now() + 60_000 });
    const leased = envelope();
    const other = envelope({ queue: 'other' });
    await broker.enqueue([leased]);
    const [held] = await broker.reserve(request('w'));
    await broker.enqueue([a, b, scheduled, other]);
    const waiting = broker.waitForResult(a.id, 30_000);
    const started = Date.now();
    expect((await broker.purge(['default'])).default!.map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    const woken = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(woken).toMatchObject({ id: a.id, task: 'noop', state: 'REVOKED', queue: 'default', error: { name: 'Revoked', message: 'purged' } });
    expect((await broker.getResult(b.id))?.state).toBe('REVOKED');
    // Scheduled, leased and other queues' messages keep their states.
    expect((await broker.getResult(scheduled.id))?.state).toBe('PENDING');
    expect((await broker.getResult(held!.id))?.state).toBe('STARTED');
    expect((await broker.getResult(other.id))?.state).toBe('PENDING');
    const revoked = (await broker.readEvents(null, 100, 0)).filter((e) => e.type === 'task-revoked');
    expect(revoked.map((e) => e.taskId).sort()).toEqual([a.id, b.id].sort());
    expect(revoked[0]).toMatchObject({ task: 'noop', queue: 'default', data: { reason: 'purged' } });
  });

  it('peeks at the first ready messages: task names counted, in taking order, nothing taken', async () => {
    const broker = await open();
    await broker.enqueue([
      envelope({ task: 'alpha', priority: 9 }),
      envelope({ task: 'beta' }),
      envelope({ task: 'beta' }),
      envelope({ body: '{not json' }),
      envelope({ task: 'later', etaMs: Date.now() + 60_000 }),
      envelope({ task: 'elsewhere', queue: 'other' }),
    ]);
    const all = await broker.peekReady(['default', 'other', 'empty'], 10);
    expect(all.sort((x, y) => `${x.queue}${x.task}`.localeCompare(`${y.queue}${y.task}`))).toEqual([
      { queue: 'default', task: '', count: 1 },
      { queue: 'default', task: 'alpha', count: 1 },
      { queue: 'default', task: 'beta', count: 2 },
      { queue: 'other', task: 'elsewhere', count: 1 },
    ]);
    // At most `max` per queue, the ones a reserve takes first (beta before the priority-9 alpha).
    expect(await broker.peekReady(['default'], 2)).toEqual([{ queue: 'default', task: 'beta', count: 2 }]);
    expect((await broker.stats(['default']))[0]).toMatchObject({ ready: 4, leased: 0 });
  });
});
