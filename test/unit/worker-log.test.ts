import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/log.js';
import type { TaskMessage } from '../../src/runtime/message.js';
import type { Worker } from '../../src/runtime/worker/worker.js';
import { logWorkerEvents } from '../../src/ui/worker-log.js';

const message: TaskMessage = {
  id: 't-1', task: 'add', args: [2, 3], kwargs: {}, queue: 'default', priority: 5,
  eta: null, expires: null, retries: 0, rootId: 't-1', parentId: null, headers: {},
};

/** Runs one received → succeeded task and one failed task past a worker log at `level`. */
function linesAt(level: 'info' | 'warn', json = false): string[] & { receivedListeners?: number } {
  const lines: string[] & { receivedListeners?: number } = [];
  const worker = new EventEmitter() as unknown as Worker;
  logWorkerEvents(worker, createLogger({ level, json, write: (line) => lines.push(line) }));
  lines.receivedListeners = worker.listenerCount('task-received');
  worker.emit('task-received', message);
  worker.emit('task-finished', { kind: 'success', message, value: 5, runtimeMs: 3 }, true);
  worker.emit('task-finished', { kind: 'failure', message, error: { name: 'Error', message: 'boom' }, runtimeMs: 3, exhausted: false }, true);
  return lines;
}

describe('worker log lines', () => {
  it('at info: received, succeeded and failed', () => {
    const lines = linesAt('info');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('Task add[t-1] received');
    expect(lines[1]).toMatch(/Task add\[t-1\] succeeded in 0\.003s: 5/);
    expect(lines[2]).toContain('failed in 0.003s: Error: boom');
  });

  it('at warn: only the failure, and no listener builds received lines', () => {
    const lines = linesAt('warn');
    expect(lines.receivedListeners).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ERROR/tq');
    expect(lines[0]).toContain('boom');
  });

  it('with --json: task id, name, state and runtime are fields of each line, not only words in its message', () => {
    const entries = linesAt('info', true).map((l) => JSON.parse(l));
    expect(entries[0]).toMatchObject({ level: 'info', message: 'Task add[t-1] received', taskId: 't-1', task: 'add', state: 'RECEIVED' });
    expect(entries[1]).toMatchObject({ level: 'info', taskId: 't-1', task: 'add', state: 'SUCCESS', runtimeMs: 3 });
    expect(entries[2]).toMatchObject({ level: 'error', taskId: 't-1', task: 'add', state: 'FAILURE', runtimeMs: 3, error: 'Error' });
    expect(entries[2]).not.toHaveProperty('leaseLost');
  });

  it('tells a refused finish (lease lost) from one the broker could not store, even at -l warn', () => {
    const lines: string[] = [];
    const worker = new EventEmitter() as unknown as Worker;
    logWorkerEvents(worker, createLogger({ level: 'warn', write: (line) => lines.push(line) }));
    const success = { kind: 'success' as const, message, value: 5, runtimeMs: 3 };
    worker.emit('task-finished', { kind: 'failure', message, error: { name: 'Error', message: 'boom' }, runtimeMs: 3, exhausted: false }, false);
    worker.emit('task-finished', success, false, { error: new Error('OOM command not allowed'), runsAgain: true });
    worker.emit('task-finished', success, false, { error: new Error('connection closed'), runsAgain: false });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/failed in 0\.003s: Error: boom \(lease lost: the broker no longer holds this task for this worker/);
    expect(lines[1]).toMatch(/ERROR.*Task add\[t-1\]: its outcome \(success\) could not be stored: OOM command not allowed; the message stays in the broker and runs again once its lease lapses/);
    expect(lines[2]).toMatch(/could not be stored: connection closed; it was acknowledged before it ran \(acksLate: false\), so it does not run again/);
    expect(lines.slice(1).join('\n')).not.toMatch(/lease lost/);
  });
});
