import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, runCli, startCli, type RunningCli } from '../support/cli.js';

/**
 * The Celery quick-start, driven through the built CLI as a user would: a
 * worker in one process, `tq call` and `tq result` in others, on the embedded
 * SQLite broker.
 */
describe('quick-start on the embedded broker', () => {
  const workers: RunningCli[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.signal('SIGKILL');
      await w.exited;
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const brokerFor = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-e2e-'));
    dirs.push(dir);
    return `sqlite://${join(dir, 'tq.db')}`;
  };
  const worker = async (broker: string, tasks = 'tasks', extra: string[] = []) => {
    const w = startCli(['worker', '--broker', broker, '--tasks', tasks, '-P', 'async', '-c', '4', ...extra]);
    workers.push(w);
    await w.waitForOutput(/ready\./);
    return w;
  };

  it('returns from `tq call send_mail` while the 5-second mail is still being sent, then `tq result --wait` prints success', async () => {
    const broker = await brokerFor();
    await worker(broker);
    const call = await runCli(['call', 'send_mail', 'xx@gmail.com', '--broker', broker]);
    expect(call.stderr).toBe('');
    expect(call.code).toBe(0);
    const id = call.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // The call has returned; the task, which takes 5 s, must not have finished yet.
    const now = await runCli(['result', id, '--json', '--broker', broker]);
    expect(['PENDING', 'STARTED']).toContain(JSON.parse(now.stdout).state);
    const done = await runCli(['result', id, '--wait', '--timeout', '30', '--broker', broker]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/state:\s+SUCCESS/);
    expect(done.stdout).toMatch(/result:\s+"success"/);
  });

  it('prints the value with `call --wait`, and stores a failing task as FAILURE with its stack while the worker goes on', async () => {
    const broker = await brokerFor();
    const w = await worker(broker, 'test/fixtures/e2e-tasks');
    const ok = await runCli(['call', 'add', '2', '3', '--wait', '--broker', broker, '--tasks', 'test/fixtures/e2e-tasks']);
    expect(ok.stdout.trim()).toBe('5');
    const bad = await runCli(['call', 'explode', 'kaboom', '--wait', '--json', '--broker', broker, '--tasks', 'test/fixtures/e2e-tasks']);
    expect(bad.code).toBe(6);
    const record = JSON.parse(bad.stdout);
    expect(record.state).toBe('FAILURE');
    expect(record.error).toMatchObject({ name: 'TypeError', message: 'kaboom' });
    expect(record.error.stack).toContain('tasks.ts');
    const big = await runCli(['call', 'bigint', '--wait', '--json', '--broker', broker, '--tasks', 'test/fixtures/e2e-tasks']);
    expect(JSON.parse(big.stdout).error.name).toBe('NotSerializable');
    const kw = await runCli(['call', 'greet', 'Ada', '--kwargs', '{"greeting":"hi"}', '--wait', '--broker', broker, '--tasks', 'test/fixtures/e2e-tasks']);
    expect(kw.stdout.trim()).toBe('hi, Ada');
    expect(w.output()).toMatch(/Task explode\[.*\] failed/);
    expect(w.child.exitCode).toBeNull();
  });

  it('finishes the running task on SIGTERM (warm shutdown) and exits 0', async () => {
    const broker = await brokerFor();
    const w = await worker(broker, 'test/fixtures/e2e-tasks');
    const call = await runCli(['call', 'sleep', '1500', '--broker', broker, '--tasks', 'test/fixtures/e2e-tasks']);
    const id = call.stdout.trim();
    await w.waitForOutput(new RegExp(`sleep\\[${id}\\] received`));
    w.signal('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/warm shutdown/);
    const result = await runCli(['result', id, '--json', '--broker', broker]);
    expect(JSON.parse(result.stdout)).toMatchObject({ state: 'SUCCESS', result: 'slept 1500' });
  });

  it('hands a running task back on a second signal (cold shutdown), so another worker runs it', async () => {
    const broker = await brokerFor();
    const first = await worker(broker, 'test/fixtures/e2e-tasks');
    const call = await runCli(['call', 'sleep', '3000', '--broker', broker, '--tasks', 'test/fixtures/e2e-tasks']);
    const id = call.stdout.trim();
    await first.waitForOutput(new RegExp(`sleep\\[${id}\\] received`));
    first.signal('SIGTERM');
    await first.waitForOutput(/warm shutdown/);
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/handed back 1 task/);
    await worker(broker, 'test/fixtures/e2e-tasks');
    const result = await runCli(['result', id, '--wait', '--timeout', '30', '--json', '--broker', broker]);
    expect(JSON.parse(result.stdout).state).toBe('SUCCESS');
  });
});

describe('a project of its own', () => {
  it('loads TypeScript task files in a project whose package.json is not "type": "module", and gives them their context', async () => {
    const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
    const project = mkdtempSync(join(tmpdir(), 'tq-cjs-project-'));
    try {
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'shop', private: true }));
      mkdirSync(join(project, 'node_modules'));
      symlinkSync(REPO, join(project, 'node_modules', 'tq'));
      mkdirSync(join(project, 'tasks'));
      writeFileSync(join(project, 'tasks', 'hello.ts'), "import { currentTask, task } from 'tq';\nexport const hello = task((name: string): string => `hello ${name} from ${currentTask().name}`);\n");
      const w = startCli(['worker', '-P', 'async'], { cwd: project });
      try {
        await w.waitForOutput(/ready\./);
        const r = await runCli(['call', 'hello', 'Ada', '--wait', '--timeout', '30'], { cwd: project });
        expect(r.stderr).toBe('');
        expect(r.stdout.trim()).toBe('hello Ada from hello');
      } finally {
        w.signal('SIGKILL');
        await w.exited;
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('bad input gets a clear error and loses nothing', () => {
  const tmp = () => mkdtempSync(join(tmpdir(), 'tq-bad-'));

  it('refuses an unknown task and suggests a close name', async () => {
    const r = await runCli(['call', 'send_mal', 'x', '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("unknown task 'send_mal'");
    expect(r.stderr).toContain("did you mean 'send_mail'");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user error
  });

  it('refuses bad JSON in --args and --kwargs', async () => {
    const broker = `sqlite://${join(tmp(), 'tq.db')}`;
    const args = await runCli(['call', 'add', '--args', '[1,', '--broker', broker]);
    expect(args.code).toBe(2);
    expect(args.stderr).toContain('--args is not valid JSON');
    const kwargs = await runCli(['call', 'add', '--kwargs', '[1]', '--broker', broker]);
    expect(kwargs.code).toBe(2);
    expect(kwargs.stderr).toContain('--kwargs must be a JSON object');
  });

  it('refuses an oversize message at call time', async () => {
    // One argv string is capped at 128 KiB by the kernel, so lower the limit rather than pass 1 MiB (the default is checked in test/unit).
    const r = await runCli(['call', 'add', '--no-check', '--args', JSON.stringify(['x'.repeat(5000)]), '--broker', `sqlite://${join(tmp(), 'tq.db')}`], {
      env: { TQ_MAX_MESSAGE_BYTES: '4096' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is \d+ bytes, over the limit of 4096/);
  });

  it('names a task file that throws on import, and a missing tasks directory', async () => {
    const broken = await runCli(['worker', '--tasks', 'test/fixtures/broken-tasks', '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain('explode_on_import.ts failed to load: database URL missing');
    const missing = await runCli(['worker', '--tasks', 'no/such/dir', '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('tasks directory not found');
  });

  it('names both files when two tasks share a name', async () => {
    const r = await runCli(['worker', '--tasks', 'test/fixtures/dup-tasks', '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/two tasks are named 'report': in .*a\.ts and in .*nested\/b\.ts/);
  });

  it('explains a corrupt SQLite file instead of crashing', async () => {
    const dir = tmp();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'tq.db'), 'this is not a database'.repeat(100));
    const r = await runCli(['call', 'add', '1', '2', '--broker', `sqlite://${join(dir, 'tq.db')}`]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('is not a usable SQLite database');
    expect(r.stderr).toContain('Hint:');
  });

  it('refuses an unknown pool with the choices', async () => {
    const r = await runCli(['worker', '--pool', 'gevent', '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--pool must be one of prefork, threads, async, solo (got "gevent")');
  });

  it('reports an unknown id with its own exit code', async () => {
    const r = await runCli(['result', 'f00', '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('no task with id f00');
  });
});

