import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LOG_ITEMS_PER_SNAPSHOT, WorkerActivity } from '../../src/runtime/monitor/worker-activity.js';
import type { TaskMessage } from '../../src/runtime/message.js';
import type { Worker } from '../../src/runtime/worker/worker.js';

function fakeWorker() {
  const w = new EventEmitter() as EventEmitter & { counters: Worker['counters']; buffer: unknown[] };
  w.counters = { received: 0, succeeded: 0, failed: 0, retried: 0, rejected: 0, revoked: 0 };
  w.buffer = [];
  return w;
}

const message = (id: string): TaskMessage => ({ id, task: 'resize', args: ['photo.jpg', 800], kwargs: {}, queue: 'default', priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} });

describe('WorkerActivity', () => {
  it('lists running tasks with progress, and moves them to the log when they finish', () => {
    let now = 1_000_000;
    const w = fakeWorker();
    const activity = new WorkerActivity(w as unknown as Worker, () => now);
    w.emit('task-received', message('a'));
    w.emit('task-progress', message('a'), 0.5, 'half');
    expect(activity.snapshot().running).toEqual([{ id: 'a', name: 'resize', args: '["photo.jpg",800]', startedAt: 1_000_000, progress: { fraction: 0.5, note: 'half' } }]);
    now += 2000;
    w.emit('task-finished', { kind: 'failure', message: message('a'), error: { name: 'Error', message: 'bad pixel', stack: 'Error: bad pixel\n    at x' }, runtimeMs: 2000, exhausted: false }, true);
    const s = activity.snapshot();
    expect(s.running).toEqual([]);
    expect(s.newLog).toMatchObject([{ kind: 'task', id: 'a', state: 'FAILURE', detail: 'Error: bad pixel' }]);
    expect(s.errors[0]).toMatchObject({ id: 'a', error: { message: 'bad pixel' } });
    expect(activity.snapshot().newLog).toEqual([]);
  });

  it(`lists at most ${LOG_ITEMS_PER_SNAPSHOT} finished tasks per redraw and counts the rest`, () => {
    const w = fakeWorker();
    const activity = new WorkerActivity(w as unknown as Worker);
    for (let i = 0; i < 500; i++) w.emit('task-finished', { kind: 'success', message: message(`t${i}`), value: i, runtimeMs: 1 }, true);
    const log = activity.snapshot().newLog;
    expect(log).toHaveLength(LOG_ITEMS_PER_SNAPSHOT + 1);
    expect(log.at(-1)).toMatchObject({ kind: 'skipped', count: 500 - LOG_ITEMS_PER_SNAPSHOT });
  });
});
