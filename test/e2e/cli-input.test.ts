import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../support/cli.js';

const TASKS = 'test/fixtures/e2e-tasks';
const BEAT_TASKS = 'test/fixtures/beat-e2e/tasks';

/**
 * What a user types before any task runs: a config file, TQ_* variables, -l,
 * a command name. Mistakes there are bad input (exit 2, one line and a hint),
 * never a TypeError (exit 1) and never silently ignored.
 */
describe('config, log levels and command names, as typed', () => {
  const dirs: string[] = [];
  const running: RunningCli[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.signal('SIGKILL');
      await p.exited;
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function tmp(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tq-input-'));
    dirs.push(dir);
    return dir;
  }

  /** A config file in a directory of its own, and a broker beside it. */
  function configured(config: unknown): { config: string; broker: string } {
    const dir = tmp();
    writeFileSync(join(dir, 'tq.config.json'), JSON.stringify(config));
    return { config: join(dir, 'tq.config.json'), broker: `sqlite://${join(dir, 'tq.db')}` };
  }

  it('refuses a config value of the wrong type with exit 2 and its key, not a TypeError', async () => {
    const { config, broker } = configured({ brokerUrl: 42 });
    const r = await runCli(['status', '--config', config, '--broker', broker]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`Error: ${config}: brokerUrl must be a string (got 42)\nHint: the Configuration section of tq's README lists every setting and its type\n`);
  });

  it('refuses unknown config keys at every level with a suggestion', async () => {
    const top = configured({ brokr: 'sqlite://x.db' });
    const r = await runCli(['status', '--config', top.config, '--broker', top.broker]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`Error: ${top.config}: unknown key 'brokr'\nHint: did you mean 'brokerUrl'?\n`);
    const nested = configured({ worker: { pol: 'async' } });
    const w = await runCli(['worker', '--config', nested.config, '--broker', nested.broker, '--tasks', TASKS]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain("did you mean 'worker.pool'?");
  });

  it('refuses TQ_LOGLEVEL=verbose and -l verbose, listing the levels', async () => {
    const broker = `sqlite://${join(tmp(), 'tq.db')}`;
    const env = await runCli(['status', '--broker', broker], { env: { TQ_LOGLEVEL: 'verbose' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('TQ_LOGLEVEL must be one of debug, info, warn, error (got "verbose")');
    for (const command of [['worker', '--tasks', TASKS], ['beat', '--tasks', BEAT_TASKS]]) {
      const flag = await runCli([...command, '-l', 'verbose', '--broker', broker]);
      expect(flag.code).toBe(2);
      expect(flag.stderr).toContain('--loglevel must be one of debug, info, warn, error (got "verbose")');
    }
  });

  it('takes -l INFO on the worker, as Celery users type it', async () => {
    const worker = startCli(['worker', '-l', 'INFO', '-P', 'solo', '--tasks', TASKS, '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    running.push(worker);
    await worker.waitForOutput(/INFO\/worker\] .* ready\./, 30_000);
  });

  it("applies Celery's -l WARNING as warn: the worker's info lines are left out", async () => {
    const worker = startCli(['worker', '-l', 'WARNING', '-P', 'solo', '--tasks', TASKS, '--broker', `sqlite://${join(tmp(), 'tq.db')}`]);
    running.push(worker);
    await worker.waitForOutput(/\[tasks\]/, 30_000); // the banner is printed whatever the level
    worker.signal('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).not.toContain('INFO/worker');
  });

  it('takes -l and TQ_LOGLEVEL on beat in any case', async () => {
    const broker = `sqlite://${join(tmp(), 'tq.db')}`;
    const listed = await runCli(['beat', '--list', '-l', 'Warning', '--tasks', BEAT_TASKS, '--broker', broker]);
    expect(listed.code).toBe(0);
    const beat = startCli(['beat', '--tasks', BEAT_TASKS, '--broker', broker], { env: { TQ_LOGLEVEL: 'INFO' } });
    running.push(beat);
    await beat.waitForOutput(/INFO\/beat\] beat: \d+ periodic task/, 30_000);
  });

  it('prints help for every command and for one', async () => {
    const all = await runCli(['help']);
    expect(all.code).toBe(0);
    for (const command of ['worker', 'call', 'result', 'beat', 'inspect', 'control']) expect(all.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const call = await runCli(['help', 'call']);
    expect(call.code).toBe(0);
    expect(call.stdout).toContain('$ tq call NAME');
    expect(call.stdout).toContain('--wait');
  });

  it('suggests the command meant for a typo, with exit 2, without asking (stdin left open)', async () => {
    const typo = await runCli(['wroker'], { timeoutMs: 15_000 });
    expect(typo).toMatchObject({ code: 2, stdout: '' });
    expect(typo.stderr).toBe("Error: 'wroker' is not a tq command\nHint: did you mean 'worker'? (tq help lists every command)\n");
    const nothingClose = await runCli(['xyzzy', 'now'], { timeoutMs: 15_000 });
    expect(nothingClose.code).toBe(2);
    expect(nothingClose.stderr).toBe("Error: 'xyzzy' is not a tq command\nHint: tq help lists every command\n");
  });
});
