import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ActivitySnapshot, LogItem } from '../../src/runtime/monitor/worker-activity.js';
import { WorkerDashboard } from '../../src/ui/dashboard/WorkerDashboard.js';
import { HOSTILE, HOSTILE_SHOWN, TERMINAL_CONTROL } from '../support/hostile.js';

const info = { hostname: 'w1@box', version: '0.1.0', broker: 'redis://:***@cache:6379/0', pool: 'async', concurrency: 10, queues: ['default', 'mail'], startedAt: 0 };

function snapshot(over: Partial<ActivitySnapshot> = {}): ActivitySnapshot {
  return {
    running: [
      { id: '6f1c2d3e-aaaa', name: 'send_mail', args: '["a@b.c"]', startedAt: 60_000, progress: { fraction: 0.4, note: 'sending' } },
      { id: '9a8b7c6d-bbbb', name: 'resize', args: '["x.jpg",800]', startedAt: 63_000 },
    ],
    reserved: 1,
    counters: { received: 12, succeeded: 9, failed: 1, retried: 0 },
    tasksPerSecond: 3.5,
    sparkline: [...new Array(58).fill(0), 2, 4],
    newLog: [],
    errors: [],
    ...over,
  };
}

const log: LogItem[] = [
  { seq: 1, kind: 'task', id: '11111111-x', name: 'send_mail', state: 'SUCCESS', runtimeMs: 5000, detail: '"success"' },
  { seq: 2, kind: 'task', id: '22222222-x', name: 'fail', state: 'FAILURE', runtimeMs: 2, detail: 'Error: oops' },
];

describe('<WorkerDashboard>', () => {
  it('shows the header, running tasks with a progress bar, counters with a sparkline, and finished tasks', () => {
    const { lastFrame, unmount } = render(<WorkerDashboard info={info} snapshot={snapshot()} log={log} logGeneration={0} now={65_000} columns={100} rows={30} />);
    const frame = lastFrame()!;
    expect(frame).toContain('tq 0.1.0 · w1@box  up 1m05s');
    expect(frame).toContain('broker redis://:***@cache:6379/0  pool async (c=10)  queues default,mail');
    expect(frame).toContain('running 2, reserved 1');
    expect(frame).toMatch(/6f1c2d3e send_mail\s+\["a@b\.c"\]\s+5\.0s ███░░░░░\s+40% sending/);
    expect(frame).toMatch(/9a8b7c6d resize\s+\["x\.jpg",800\]\s+2\.0s/);
    expect(frame).toContain('received 12  ·  succeeded 9  ·  failed 1  ·  retried 0');
    expect(frame).toMatch(/tasks\/s\s+3\.5\s+▁+▄█ last 60s/);
    expect(frame).toMatch(/SUCCESS\s+send_mail\[11111111\] 5\.0s "success"/);
    expect(frame).toMatch(/FAILURE\s+fail\[22222222\] 2ms Error: oops/);
    unmount();
  });

  it('shows the last errors with the first lines of their traceback', () => {
    const errors = [{ id: '33333333-x', name: 'resize', at: 0, error: { name: 'TypeError', message: 'bad pixel', stack: 'TypeError: bad pixel\n    at crop (tasks/img.ts:3:9)\n    at resize (tasks/img.ts:9:3)\n    at deep (x.js:1:1)' } }];
    const { lastFrame, unmount } = render(<WorkerDashboard info={info} snapshot={snapshot({ errors })} log={[]} logGeneration={0} now={65_000} columns={100} rows={30} />);
    const frame = lastFrame()!;
    expect(frame).toContain('last errors');
    expect(frame).toContain('resize[33333333] TypeError: bad pixel');
    expect(frame).toContain('at crop (tasks/img.ts:3:9)');
    expect(frame).not.toContain('at deep');
    unmount();
  });

  it('fits a small terminal: extra running tasks are counted, not drawn', () => {
    const running = Array.from({ length: 30 }, (_, i) => ({ id: `${String(i).padStart(8, '0')}-t`, name: 'nap', args: '[1000]', startedAt: 64_000 }));
    const { lastFrame, unmount } = render(<WorkerDashboard info={info} snapshot={snapshot({ running })} log={[]} logGeneration={0} now={65_000} columns={60} rows={16} />);
    const frame = lastFrame()!;
    expect(frame).toContain('… 24 more running');
    expect(frame.split('\n').length).toBeLessThan(16);
    expect(Math.max(...frame.split('\n').map((l) => l.length))).toBeLessThanOrEqual(60);
    unmount();
  });

  it('says when it is idle', () => {
    const { lastFrame, unmount } = render(<WorkerDashboard info={info} snapshot={snapshot({ running: [], reserved: 0 })} log={[]} logGeneration={0} now={65_000} columns={80} rows={24} />);
    expect(lastFrame()).toContain('(idle: waiting for tasks)');
    unmount();
  });

  it('shows text from tasks with its control characters made visible: names, args, progress notes, results, errors, tracebacks, log lines', () => {
    const running = [{ id: `${HOSTILE}-id`, name: `n${HOSTILE}`, args: `["${HOSTILE}"]`, startedAt: 60_000, progress: { fraction: 0.5, note: HOSTILE } }];
    const errors = [{ id: HOSTILE, name: HOSTILE, at: 0, error: { name: HOSTILE, message: HOSTILE, stack: `Error: x\n    at ${HOSTILE}` } }];
    const items: LogItem[] = [
      { seq: 1, kind: 'task', id: HOSTILE, name: HOSTILE, state: 'FAILURE', runtimeMs: 2, detail: `Error: ${HOSTILE}` },
      { seq: 2, kind: 'line', level: 'info', text: `[2026-11-23 10:00:00,000: \x1b[32mINFO/worker.t\x1b[0m] log ${HOSTILE}` },
    ];
    const { frames, unmount } = render(<WorkerDashboard info={{ ...info, hostname: HOSTILE }} snapshot={snapshot({ running, errors })} log={items} logGeneration={0} now={65_000} columns={160} rows={40} />);
    const all = frames.join('\n');
    expect(all).not.toMatch(TERMINAL_CONTROL);
    expect(all).toContain(`log ${HOSTILE_SHOWN}`);
    expect(all).toContain('INFO/worker.t] log'); // the logger's own colours dropped, not shown as escapes
    expect(all).toContain(`Error: ${HOSTILE_SHOWN}`);
    expect(all).toContain(`at ${HOSTILE_SHOWN}`);
    expect(all).toContain(`n${HOSTILE_SHOWN.slice(0, 10)}`);
    unmount();
  });
});
