import { describe, expect, it } from 'vitest';
import { applyEvents, applyHeartbeats, applyRecord, applyStats, emptyCluster, MAX_TASKS, OFFLINE_FOLD_MS, runtimeOf, visibleTasks } from '../../src/runtime/monitor/cluster-state.js';
import { event, heartbeat, lifecycle, stats, T0 } from './fixtures.js';

describe('cluster state reducers', () => {
  it('follows a task through its events: state, worker, args, result, timeline', () => {
    const s = applyEvents(emptyCluster(T0), lifecycle('t1', T0, 'task-succeeded'), T0 + 1000);
    const t = s.tasks.get('t1')!;
    expect(t).toMatchObject({ state: 'SUCCESS', name: 'send_mail', worker: 'w1', queue: 'default', args: ['a@b.c'], kwargs: { urgent: true }, result: '"sent"', runtimeMs: 500 });
    expect(t.timeline.map((x) => x.state)).toEqual(['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS']);
  });

  it('keeps the error of a failed task and its progress while running', () => {
    let s = applyEvents(emptyCluster(T0), lifecycle('t2', T0, 'task-failed'), T0);
    expect(s.tasks.get('t2')!.error).toMatchObject({ name: 'SmtpError', message: 'mailbox full' });
    s = applyEvents(s, [...lifecycle('t3', T0, null), event('task-progress', 't3', T0 + 100, { data: { fraction: 0.4, note: 'resizing' } })], T0 + 200);
    expect(s.tasks.get('t3')).toMatchObject({ state: 'STARTED', progress: { fraction: 0.4, note: 'resizing' } });
    expect(runtimeOf(s.tasks.get('t3')!, T0 + 1010)).toBe(1000);
  });

  it('does not let a late non-final event undo a final state', () => {
    const [sent, received, started, succeeded] = lifecycle('t4', T0, 'task-succeeded');
    const s = applyEvents(emptyCluster(T0), [succeeded!, sent!, received!, started!], T0);
    expect(s.tasks.get('t4')!.state).toBe('SUCCESS');
  });

  it('merges a stored record: a revoked queued task shows REVOKED', () => {
    let s = applyEvents(emptyCluster(T0), [event('task-sent', 't5', T0)], T0);
    s = applyRecord(s, { id: 't5', task: 'send_mail', state: 'REVOKED', retries: 0, error: { name: 'Revoked', message: 'revoked' } }, T0 + 50);
    expect(s.tasks.get('t5')).toMatchObject({ state: 'REVOKED', error: { message: 'revoked' } });
    expect(s.tasks.get('t5')!.timeline.map((x) => x.state)).toEqual(['PENDING', 'REVOKED']);
  });

  it('marks workers offline from their heartbeat age, and keeps queues a broker stopped listing', () => {
    let s = applyHeartbeats(emptyCluster(T0), [heartbeat('w1'), heartbeat('w0', { sentAt: new Date(T0 - 60_000).toISOString() })], T0);
    expect(s.workers.map((w) => [w.hostname, w.online])).toEqual([['w1', true], ['w0', false]]);
    s = applyStats(s, [stats('mail')], T0);
    expect(s.queues.map((q) => q.queue)).toEqual(['default', 'mail']);
    expect(s.queues.find((q) => q.queue === 'default')).toMatchObject({ ready: 0, leased: 0 });
  });

  it('measures messages in and out per queue per second from the events', () => {
    const events = Array.from({ length: 20 }, (_, i) => event(i % 2 ? 'task-received' : 'task-sent', `q${i}`, T0 + Math.floor(i / 4) * 1000));
    let s = applyStats(emptyCluster(T0), [stats('default')], T0);
    s = applyEvents(s, events, T0 + 5000);
    const q = s.queues[0]!;
    expect(q.inPerSecond).toBe(2);
    expect(q.outPerSecond).toBe(2);
  });

  it('filters the task list by name, state, worker or id, newest first', () => {
    const s = applyEvents(emptyCluster(T0), [...lifecycle('aaa', T0, 'task-succeeded', 'w1'), ...lifecycle('bbb', T0 + 1000, 'task-failed', 'w2'), event('task-sent', 'ccc', T0 + 2000, { task: 'resize' })], T0 + 3000);
    expect(visibleTasks(s).map((t) => t.id)).toEqual(['ccc', 'bbb', 'aaa']);
    expect(visibleTasks(s, 'failure').map((t) => t.id)).toEqual(['bbb']);
    expect(visibleTasks(s, 'W1').map((t) => t.id)).toEqual(['aaa']);
    expect(visibleTasks(s, 'resize').map((t) => t.id)).toEqual(['ccc']);
  });

  it(`keeps at most ${MAX_TASKS} tasks, dropping the oldest finished ones`, () => {
    const events = Array.from({ length: MAX_TASKS + 10 }, (_, i) => lifecycle(`t${i}`, T0 + i, 'task-succeeded')).flat();
    const s = applyEvents(emptyCluster(T0), [event('task-sent', 'waiting', T0 - 1000), ...events], T0);
    expect(s.tasks.size).toBe(MAX_TASKS);
    expect(s.tasks.has('waiting')).toBe(true);
    expect(s.tasks.has('t0')).toBe(false);
  });

  it('lists workers offline for less than 5 minutes, and only counts those offline for longer (heartbeats are kept a day)', () => {
    const ago = (ms: number) => ({ sentAt: new Date(T0 - ms).toISOString() });
    const s = applyHeartbeats(emptyCluster(T0), [
      heartbeat('b-online'),
      heartbeat('a-recent', ago(OFFLINE_FOLD_MS - 1000)),
      heartbeat('c-stopped', { ...ago(OFFLINE_FOLD_MS - 1000), state: 'offline' }),
      heartbeat('d-old', ago(OFFLINE_FOLD_MS)),
      heartbeat('e-older', ago(23 * 3600_000)),
      heartbeat('f-unreadable', { sentAt: 'garbage' }),
    ], T0);
    expect(s.workers.map((w) => [w.hostname, w.online])).toEqual([['b-online', true], ['a-recent', false], ['c-stopped', false]]);
    expect(s.longOffline).toBe(3);
  });

  it('lists the same queues whichever broker reports them: those holding messages, consumed by a listed worker, or listed before', () => {
    const empty = (queue: string) => stats(queue, { ready: 0, scheduled: 0, leased: 0, dead: 0, oldestReadyAgeMs: null });
    // Redis reports every queue ever used, empty or not; SQLite only queues that hold a message.
    const workers = applyHeartbeats(emptyCluster(T0), [heartbeat('w1', { queues: ['default'] }), heartbeat('gone', { queues: ['legacy'], sentAt: new Date(T0 - 3600_000).toISOString() })], T0);
    const redis = applyStats(workers, [empty('default'), empty('legacy'), empty('once'), stats('mail', { ready: 0, dead: 2 })], T0);
    const sqlite = applyStats(workers, [stats('mail', { ready: 0, dead: 2 })], T0);
    expect(redis.queues.map((q) => q.queue)).toEqual(['default', 'mail']);
    expect(sqlite.queues.map((q) => q.queue)).toEqual(['default', 'mail']);
    // Once listed, a queue stays while top runs, at 0 when it empties.
    const drained = applyStats(redis, [empty('default'), empty('mail')], T0);
    expect(drained.queues.map((q) => [q.queue, q.dead])).toEqual([['default', 0], ['mail', 0]]);
  });

  it('leaves the previous state as it was: a batch copies a task before it changes it', () => {
    const [sent, received, started, succeeded] = lifecycle('t1', T0, 'task-succeeded');
    const before = applyEvents(emptyCluster(T0), [sent!], T0);
    const after = applyEvents(before, [received!, started!, succeeded!], T0);
    expect(before.tasks.get('t1')).toMatchObject({ state: 'PENDING', timeline: [{ state: 'PENDING' }] });
    expect(after.tasks.get('t1')!.timeline.map((s) => s.state)).toEqual(['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS']);
  });

  it(`keeps at most ${MAX_TASKS} tasks even when none of them finish (a backlog with no worker)`, () => {
    const sent = Array.from({ length: MAX_TASKS * 3 }, (_, i) => event('task-sent', `p${i}`, T0 + i));
    const s = applyEvents(emptyCluster(T0), sent, T0);
    expect(s.tasks.size).toBe(MAX_TASKS);
    expect(s.tasks.has('p0')).toBe(false);
    expect(s.tasks.has(`p${MAX_TASKS * 3 - 1}`)).toBe(true);
  });
});
