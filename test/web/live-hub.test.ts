import { describe, expect, it } from 'vitest';
import { applyEvents, applyStats, emptyCluster, MAX_TASKS, type ClusterState } from '../../src/runtime/monitor/cluster-state.js';
import { eventTimes } from '../../src/runtime/metrics/event-times.js';
import { TaskHistory } from '../../src/runtime/web/history.js';
import { LiveHub } from '../../src/runtime/web/hub.js';
import { DEFAULT_ROWS, MAX_ROWS, overviewOf, taskListOf, taskOf } from '../../src/runtime/web/views.js';
import type { WireUpdate } from '../../src/runtime/web/wire.js';
import { event, lifecycle, stats, T0 } from '../ui/fixtures.js';

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

function hubOver(state: () => ClusterState) {
  const history = new TaskHistory(T0);
  return new LiveHub({ state, series: () => history.snapshot(T0) });
}

describe('the live hub (SSE fan-out)', () => {
  it('coalesces a firehose: one update per tick per client, carrying the count and times of every event since the last', async () => {
    const state = emptyCluster(T0);
    const hub = hubOver(() => state);
    const sent: WireUpdate[] = [];
    hub.subscribe({ kind: 'overview' }, async (json) => void sent.push(JSON.parse(json) as WireUpdate));
    hub.tick(T0);
    await settled();
    expect(sent).toHaveLength(1); // a new stream gets a snapshot at once
    for (let i = 0; i < 100; i++) {
      hub.noteEvents(eventTimes(Array.from({ length: 1000 }, (_, j) => event('task-sent', `t${i}-${j}`, T0 + i))));
      hub.changed();
    }
    hub.tick(T0 + 250);
    await settled();
    hub.tick(T0 + 500); // nothing changed since: nothing sent
    expect(sent).toHaveLength(2);
    expect(sent[1]!.events).toEqual({ count: 100_000, oldestAt: T0, newestAt: T0 + 99 });
  });

  it('skips a client whose previous update is still being written, and sends it the latest state once it is free', async () => {
    const hub = hubOver(() => emptyCluster(T0));
    let release: () => void = () => {};
    const writes: string[] = [];
    hub.subscribe({ kind: 'overview' }, (json) => {
      writes.push(json);
      return new Promise<void>((resolve) => (release = resolve));
    });
    hub.tick(T0);
    for (let i = 0; i < 50; i++) {
      hub.noteEvents([T0]);
      hub.changed();
      hub.tick(T0 + i);
    }
    expect(writes).toHaveLength(1); // nothing queued behind the slow write
    release();
    await settled();
    hub.tick(T0 + 100);
    expect(writes).toHaveLength(2);
    expect((JSON.parse(writes[1]!) as WireUpdate).events.count).toBe(50);
  });

  it('drops a client whose write failed, and refuses streams beyond its limit', async () => {
    const hub = new LiveHub({ state: () => emptyCluster(T0), series: () => new TaskHistory(T0).snapshot(T0), maxClients: 2 });
    hub.subscribe({ kind: 'overview' }, () => Promise.reject(new Error('socket closed')));
    expect(hub.subscribe({ kind: 'overview' }, async () => {})).not.toBeNull();
    expect(hub.subscribe({ kind: 'overview' }, async () => {})).toBeNull();
    hub.tick(T0);
    await settled();
    expect(hub.size).toBe(1);
  });

  it('caps every list it sends, however many tasks the monitor keeps', () => {
    const events = Array.from({ length: MAX_TASKS + 500 }, (_, i) => lifecycle(`t${i}`, T0 + i, 'task-succeeded')).flat();
    const state = applyEvents(emptyCluster(T0), events, T0);
    expect(state.tasks.size).toBe(MAX_TASKS);
    expect(taskListOf(state, {}).rows).toHaveLength(DEFAULT_ROWS);
    expect(taskListOf(state, { limit: 100_000 }).rows).toHaveLength(MAX_ROWS);
    expect(taskListOf(state, { limit: 100_000 }).matched).toBe(MAX_TASKS);
  });
});

describe('what the page is sent', () => {
  it('filters tasks by name, state, worker, queue and a part of the id', () => {
    const state = applyEvents(emptyCluster(T0), [
      ...lifecycle('aaa111', T0, 'task-succeeded', 'w1'),
      ...lifecycle('bbb222', T0 + 1, 'task-failed', 'w2'),
      event('task-sent', 'ccc333', T0 + 2, { task: 'resize', queue: 'images' }),
    ], T0);
    const ids = (f: Parameters<typeof taskListOf>[1]) => taskListOf(state, f).rows.map((r) => r.id);
    expect(ids({ state: 'FAILURE' })).toEqual(['bbb222']);
    expect(ids({ worker: 'w1' })).toEqual(['aaa111']);
    expect(ids({ queue: 'images' })).toEqual(['ccc333']);
    expect(ids({ name: 'resize' })).toEqual(['ccc333']);
    expect(ids({ id: 'B22' })).toEqual(['bbb222']);
    expect(taskListOf(state, {}).names).toEqual(['resize', 'send_mail']);
  });

  it('passes on figures a broker cannot give as null (the page shows –)', () => {
    const state = applyStats(emptyCluster(T0), [{ ...stats('amqp-queue'), scheduled: null, leased: null, oldestReadyAgeMs: null } as never], T0);
    const [q] = overviewOf(state, new TaskHistory(T0).snapshot(T0), T0).queues;
    expect(q).toMatchObject({ queue: 'amqp-queue', ready: 3, scheduled: null, leased: null, oldestWaitMs: null });
  });

  it("takes a finished task's whole result and traceback from its stored record over the events' summary", () => {
    const state = applyEvents(emptyCluster(T0), lifecycle('t1', T0, 'task-succeeded'), T0);
    const stored = { id: 't1', task: 'send_mail', state: 'SUCCESS' as const, retries: 0, result: { long: 'x'.repeat(500) } };
    expect(taskOf(state.tasks.get('t1'), stored, T0)).toMatchObject({ state: 'SUCCESS', result: stored.result, source: 'both', args: ['a@b.c'] });
    expect(taskOf(undefined, stored, T0)).toMatchObject({ state: 'SUCCESS', source: 'result', args: null, parentId: null, children: null });
    expect(taskOf(undefined, null, T0)).toBeNull();
  });
});

describe('task history (the charts)', () => {
  it('counts finished tasks per 10 s bucket by their own time, and forgets what falls out of the hour', () => {
    const h = new TaskHistory(T0);
    h.add([event('task-succeeded', 'a', T0 - 5_000), event('task-succeeded', 'b', T0), event('task-failed', 'c', T0), event('task-retried', 'd', T0), event('task-succeeded', 'old', T0 - 2 * 3_600_000)], T0);
    const s = h.snapshot(T0);
    expect(s.succeeded.at(-1)).toBe(1);
    expect(s.succeeded.at(-2)).toBe(1);
    expect(s.failed.at(-1)).toBe(1);
    expect(s.retried.at(-1)).toBe(1);
    expect(s.succeeded.reduce((a, b) => a + b, 0)).toBe(2);
    const later = h.snapshot(T0 + 20_000);
    expect(later.succeeded.at(-3)).toBe(1);
    expect(later.succeeded).toHaveLength(s.succeeded.length);
  });
});
