import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, runCli, startCli, type RunningCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const MATH = "import { task } from 'tq';\n\nexport const add = task((x: number, y: number) => x + y);\n";

/**
 * Where tq keeps its state: at the project root, found upward from where a
 * command runs (as npm finds package.json), and only once there is something
 * to keep. No command leaves a `.tq/` where it does not belong.
 */
describe('the project root and the files tq creates', () => {
  const dirs: string[] = [];
  const workers: RunningCli[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.signal('SIGKILL');
      await w.exited;
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A user's project: package.json, tq linked into node_modules, tasks/math.ts. */
  function userProject(): string {
    const root = mkdtempSync(join(tmpdir(), 'tq-root-'));
    dirs.push(root);
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(REPO, join(root, 'node_modules', 'tq'), 'dir');
    mkdirSync(join(root, 'tasks'));
    writeFileSync(join(root, 'tasks', 'math.ts'), MATH);
    return root;
  }

  function emptyDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tq-empty-'));
    dirs.push(dir);
    return dir;
  }

  it('runs `tq worker` and `tq call` from a subdirectory on the project\'s tasks and its one .tq/tq.db', async () => {
    const root = userProject();
    const sub = join(root, 'tasks');
    const worker = startCli(['worker', '-P', 'solo'], { cwd: sub });
    workers.push(worker);
    await worker.waitForOutput(/ready\./, 30_000);
    expect(worker.output()).toContain(`tasks dir  ${sub}\n`);

    const call = await runCli(['call', 'add', '1', '2', '--wait', '--timeout', '30'], { cwd: sub });
    expect(call).toMatchObject({ code: 0, stdout: '3\n', stderr: '' });
    // The same broker file from the root: the call above went through it.
    const status = await runCli(['status', '--json'], { cwd: root });
    expect(JSON.parse(status.stdout)).toHaveLength(1);
    expect(existsSync(join(root, '.tq', 'tq.db'))).toBe(true);
    expect(readdirSync(sub)).toEqual(['math.ts']);
  });

  it('takes --tasks relative to the directory the command was typed in', async () => {
    const root = userProject();
    const call = await runCli(['call', 'add', '1', '2', '--tasks', '.'], { cwd: join(root, 'tasks') });
    expect(call.stderr).toBe('');
    expect(call.code).toBe(0);
  });

  it('leaves a fresh directory as it was: status, inspect, result and events read an empty broker', async () => {
    const dir = emptyDir();
    const status = await runCli(['status'], { cwd: dir });
    expect(status).toMatchObject({ code: 0, stdout: 'sqlite://.tq/tq.db\nno workers have reported to this broker\n' });
    const queues = await runCli(['inspect', 'queues', '--json'], { cwd: dir });
    expect(queues.code).toBe(0);
    expect(JSON.parse(queues.stdout)).toEqual({ 'sqlite://.tq/tq.db': [] });
    const scheduled = await runCli(['inspect', 'scheduled'], { cwd: dir });
    expect(scheduled.code).toBe(0);
    const result = await runCli(['result', '00000000-0000-4000-8000-000000000000'], { cwd: dir });
    expect(result.code).toBe(7);
    const events = await runCli(['events', '--no-follow'], { cwd: dir });
    expect(events).toMatchObject({ code: 0, stdout: '' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates no broker file for a call refused before sending (unknown task, bad --args)', async () => {
    const root = userProject();
    const unknown = await runCli(['call', 'nope'], { cwd: root });
    expect(unknown.code).toBe(3);
    const badArgs = await runCli(['call', 'add', '--args', '[1,'], { cwd: root });
    expect(badArgs.code).toBe(2);
    expect(existsSync(join(root, '.tq', 'tq.db'))).toBe(false);
  });

  it('shows a follower started before the broker file existed what is sent once it does', async () => {
    const root = userProject();
    const events = startCli(['events', '--json'], { cwd: root });
    workers.push(events);
    // The follower shows new events only, and it may still be starting when a call is made: call
    // until one of the calls shows up (the first call creates the file), rather than race its start.
    const sent: string[] = [];
    const shown = () => events.output().split('\n').some((line) => line.includes('"task-sent"') && sent.some((id) => line.includes(id)));
    await waitFor(async () => {
      if (shown()) return true;
      const call = await runCli(['call', 'add', '2', '2'], { cwd: root });
      if (call.code !== 0) throw new Error(`tq call exited ${call.code}: ${call.stderr}`);
      sent.push(call.stdout.trim());
      return shown();
    }, 'a task-sent event of one of the calls', 30_000, 500);
  });
});
