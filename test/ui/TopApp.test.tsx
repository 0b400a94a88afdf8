import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MonitorActions } from '../../src/runtime/monitor/actions.js';
import { applyEvents, applyHeartbeats, applyRecord, applyStats, emptyCluster, type ClusterState } from '../../src/runtime/monitor/cluster-state.js';
import { TopApp } from '../../src/ui/top/TopApp.js';
import { waitFor } from '../support/wait.js';
import { HOSTILE, HOSTILE_SHOWN, TERMINAL_CONTROL } from '../support/hostile.js';
import { event, heartbeat, lifecycle, stats, T0 } from './fixtures.js';

const ARROW_DOWN = '\u001B[B';
const ESC = '\u001B';

function cluster(): ClusterState {
  let s = applyHeartbeats(emptyCluster(T0), [heartbeat('w1@box'), heartbeat('w2@old', { pool: 'prefork', sentAt: new Date(T0 - 120_000).toISOString() })], T0);
  s = applyStats(s, [stats('default'), stats('mail', { ready: 0, dead: 4, oldestReadyAgeMs: null })], T0);
  return applyEvents(s, [
    ...lifecycle('aaaaaaaa-1', T0 - 5000, 'task-succeeded'),
    ...lifecycle('bbbbbbbb-2', T0 - 4000, 'task-failed'),
    ...lifecycle('cccccccc-3', T0 - 3000, null),
    event('task-sent', 'dddddddd-4', T0 - 1000, { task: 'resize' }),
  ], T0);
}

function fakeActions(): MonitorActions & { calls: string[] } {
  const calls: string[] = [];
  const act = (what: string) => vi.fn(async (target: { id?: string } | string) => {
    calls.push(`${what} ${typeof target === 'string' ? target : target.id}`);
    return `${what} done`;
  });
  return { calls, revoke: act('revoke'), terminate: act('terminate'), retry: act('retry'), purge: act('purge') } as never;
}

function mount(state = cluster(), actions = fakeActions(), fetchTask = vi.fn(async (_id: string) => {}), columns = 110) {
  const app = render(<TopApp state={state} actions={actions} fetchTask={fetchTask} broker="sqlite:///tmp/tq.db" now={T0} columns={columns} rows={30} />);
  const screen = () => app.lastFrame() ?? '';
  const shows = (text: string | RegExp) => (typeof text === 'string' ? screen().includes(text) : text.test(screen()));
  const until = (text: string | RegExp) => waitFor(() => shows(text), `the screen to show ${text}`, 2000).catch((err: Error) => {
    throw new Error(`${err.message}\n--- screen ---\n${screen()}`);
  });
  return { ...app, actions, fetchTask, screen, until };
}

describe('<TopApp>', () => {
  let app: ReturnType<typeof mount> | undefined;
  afterEach(() => app?.unmount());

  it('shows workers (offline ones marked), queues with rates, the task list and the key line', () => {
    app = mount();
    const s = app.screen();
    expect(s).toContain('tq top · sqlite:///tmp/tq.db · 1 worker(s) online');
    expect(s).toMatch(/WORKERS 1\/2 online/);
    expect(s).toMatch(/w1@box\s+online\s+async\s+10\s+1\s+41\s+2\s+90M\s+1\.0s ago/);
    expect(s).toMatch(/w2@old\s+offline\s+prefork/);
    expect(s).toMatch(/default\s+3\s+1\s+1\s+0\s+2\.5s/);
    expect(s).toMatch(/mail\s+0\s+1\s+1\s+4\s+-/);
    expect(s).toMatch(/› PENDING\s+resize\s+dddddddd/);
    expect(s).toMatch(/STARTED\s+send_mail\s+cccccccc w1\s+3\.0s/);
    expect(s).toMatch(/FAILURE\s+send_mail\s+bbbbbbbb w1\s+50ms/);
    expect(s).toMatch(/SUCCESS\s+send_mail\s+aaaaaaaa w1\s+500ms/);
    expect(s).toContain(' q  quit');
  });

  it('filters the list with /', async () => {
    app = mount();
    app.stdin.write('/');
    await app.until('/█');
    app.stdin.write('fail');
    await app.until('TASKS 1 matching "fail"');
    app.stdin.write('\r');
    await app.until(/› FAILURE\s+send_mail\s+bbbbbbbb/);
    expect(app.screen()).not.toContain('aaaaaaaa');
  });

  it('opens a detail view with args, kwargs, error, traceback and timeline, and fetches the stored record', async () => {
    app = mount();
    app.stdin.write(ARROW_DOWN);
    await app.until('› STARTED');
    app.stdin.write('j');
    await app.until('› FAILURE');
    app.stdin.write('\r');
    await app.until('TASK send_mail FAILURE');
    const s = app.screen();
    expect(s).toContain('id        bbbbbbbb-2');
    expect(s).toContain('args      ["a@b.c"]');
    expect(s).toContain('kwargs    {"urgent":true}');
    expect(s).toContain('error     SmtpError: mailbox full');
    expect(s).toContain('at send (tasks/mail.ts:12:9)');
    expect(s).toMatch(/timeline\n.*PENDING\s*\n.*RECEIVED\s+w1\n.*STARTED\s+w1\n.*FAILURE\s+w1/);
    await waitFor(() => app!.fetchTask.mock.calls.some(([id]) => id === 'bbbbbbbb-2'), 'the record to be fetched');
    app.stdin.write(ESC);
    await app.until('WORKERS');
  });

  it('shows a workflow step\'s parent, group and children in its detail view, from its stored record', async () => {
    const state = applyRecord(cluster(), { id: 'aaaaaaaa-1', task: 'send_mail', state: 'SUCCESS', retries: 0, parentId: 'pppp-0', groupId: 'gggg-9', children: ['cccc-7', 'dddd-8'] }, T0);
    app = mount(state);
    // The oldest task (this one, SUCCESS) is the last row.
    for (const next of ['› STARTED', '› FAILURE', '› SUCCESS']) {
      if (!app.screen().includes('› SUCCESS')) app.stdin.write('j');
      await app.until(next === '› STARTED' ? /› (STARTED|FAILURE|SUCCESS)/ : next);
    }
    app.stdin.write('\r');
    await app.until('TASK send_mail SUCCESS');
    const s = app.screen();
    expect(s).toContain('parent    pppp-0');
    expect(s).toContain('group     gggg-9');
    expect(s).toContain('children  cccc-7, dddd-8');
  });

  it('asks before revoking, and does nothing on n', async () => {
    app = mount();
    app.stdin.write('r');
    await app.until('Revoke resize[dddddddd-4]? (y/n)');
    app.stdin.write('n');
    await app.until('cancelled');
    expect(app.actions.calls).toEqual([]);
    app.stdin.write('r');
    await app.until('(y/n)');
    app.stdin.write('y');
    await app.until('revoke done');
    expect(app.actions.calls).toEqual(['revoke dddddddd-4']);
  });

  it('terminates, retries and purges after a y', async () => {
    app = mount();
    app.stdin.write('j');
    await app.until('› STARTED');
    app.stdin.write('t');
    await app.until('Terminate send_mail[cccccccc-3]? (y/n)');
    app.stdin.write('y');
    await app.until('terminate done');
    app.stdin.write('j');
    await app.until('› FAILURE');
    app.stdin.write('R');
    await app.until('Retry send_mail[bbbbbbbb-2]? (y/n)');
    app.stdin.write('y');
    await app.until('retry done');
    app.stdin.write('\t');
    await app.until(/› default/);
    app.stdin.write(ARROW_DOWN);
    await app.until(/› mail/);
    app.stdin.write('p');
    await app.until('Purge the waiting messages of queue mail? (y/n)');
    app.stdin.write('y');
    await app.until('purge done');
    expect(app.actions.calls).toEqual(['terminate cccccccc-3', 'retry bbbbbbbb-2', 'purge mail']);
  });

  it('shows help on ? and goes back on any key', async () => {
    app = mount();
    app.stdin.write('?');
    await app.until('tq top: keys');
    expect(app.screen()).toMatch(/R\s+retry: send a failed or revoked task again/);
    app.stdin.write('x');
    await app.until('WORKERS');
  });

  it('takes several keys arriving in one chunk one after another', async () => {
    app = mount();
    app.stdin.write('jj\r');
    await app.until('TASK send_mail FAILURE');
  });

  it('shows a broker error instead of crashing', () => {
    app = mount({ ...cluster(), error: 'database is locked' });
    expect(app.screen()).toContain('broker error: database is locked');
  });

  it('folds workers offline for over 5 minutes into one line, and shows a whole HEARTBEAT column', () => {
    const old = (name: string, agoMs: number) => heartbeat(name, { sentAt: new Date(T0 - agoMs).toISOString() });
    const workers = [heartbeat('w1@box'), old('w2@gone', 4 * 60_000 + 59_000), old('w3@gone', 6 * 60_000), old('w4@gone', 3 * 3600_000), old('w5@gone', 23 * 3600_000)];
    app = mount(applyHeartbeats(emptyCluster(T0), workers, T0), undefined, undefined, 81);
    const s = app.screen();
    expect(s).toMatch(/w2@gone\s+offline.*4m59s ago\n/);
    expect(s).toContain('+ 3 offline for over 5 min');
    expect(s).not.toMatch(/w[345]@gone/);
    expect(s).toMatch(/WORKERS 1\/2 online\s+STATE.*\s+HEARTBEAT\n/);
    expect(s).toMatch(/w1@box\s+online.*\s1\.0s ago\n/);
  });

  it('shows text from tasks and workers with control characters made visible, in the list and the detail view', async () => {
    const hostile = applyEvents(applyHeartbeats(emptyCluster(T0), [heartbeat(`w${HOSTILE}`)], T0), [
      event('task-sent', 'eeeeeeee-5', T0 - 900, { task: `t${HOSTILE}` }),
      event('task-received', 'eeeeeeee-5', T0 - 800, { task: `t${HOSTILE}`, hostname: `w${HOSTILE}`, data: { args: [HOSTILE], kwargs: { k: HOSTILE }, retries: 0 } }),
      event('task-started', 'eeeeeeee-5', T0 - 800, { task: `t${HOSTILE}`, hostname: `w${HOSTILE}` }),
      event('task-progress', 'eeeeeeee-5', T0 - 700, { task: `t${HOSTILE}`, hostname: `w${HOSTILE}`, data: { fraction: 0.5, note: HOSTILE } }),
      event('task-failed', 'eeeeeeee-5', T0 - 600, { task: `t${HOSTILE}`, hostname: `w${HOSTILE}`, data: { runtimeMs: 200, error: { name: 'Error', message: HOSTILE, stack: `Error: ${HOSTILE}\n    at ${HOSTILE}` } } }),
    ], T0);
    app = mount(hostile, undefined, undefined, 160);
    await app.until(/FAILURE\s+tA\\x1b/);
    app.stdin.write('\r');
    await app.until('TASK tA');
    const all = app.frames.join('\n');
    expect(all).not.toMatch(TERMINAL_CONTROL);
    expect(app.screen()).toContain(`error     Error: ${HOSTILE_SHOWN}`);
    expect(app.screen()).toContain(`at ${HOSTILE_SHOWN}`);
    expect(app.screen()).toContain(`args      ["A\\u001b]0;pwned\\u0007B\\u001b[2JC\\u009b31mD"]`);
  });
});
