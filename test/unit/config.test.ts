import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findProjectRoot, resolveConfig, type ResolveConfigOptions } from '../../src/runtime/config.js';
import { TqError } from '../../src/runtime/errors.js';
import { suggestNames } from '../../src/runtime/suggest.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tq-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** resolveConfig's rejection, which must be a user error (exit 2), not a TypeError. */
async function refusal(options: ResolveConfigOptions): Promise<TqError> {
  const err = await resolveConfig({ env: {}, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TqError);
  expect((err as TqError).code).toBe('CONFIG');
  return err as TqError;
}

const withFile = (config: unknown) => ({ cwd: project({ 'tq.config.json': JSON.stringify(config) }) });

describe('config file validation', () => {
  it('refuses a value of the wrong type with its key path, instead of failing later with a TypeError', async () => {
    const err = await refusal(withFile({ brokerUrl: 42 }));
    expect(err.message).toBe('tq.config.json: brokerUrl must be a string (got 42)');
  });

  it('refuses an unknown key and suggests the setting that was meant', async () => {
    const err = await refusal(withFile({ brokr: 'sqlite://x.db' }));
    expect(err.message).toBe("tq.config.json: unknown key 'brokr'");
    expect(err.hint).toBe("did you mean 'brokerUrl'?");
  });

  it('refuses unknown keys inside sections too, naming the whole path', async () => {
    expect((await refusal(withFile({ worker: { pol: 'async' } }))).hint).toBe("did you mean 'worker.pool'?");
    expect((await refusal(withFile({ redisTls: { rejectUnauthorised: false } }))).hint).toBe("did you mean 'redisTls.rejectUnauthorized'?");
  });

  it('names every problem of the file at once', async () => {
    const err = await refusal(withFile({ leaseMs: 0, worker: { concurrency: 1.5, queues: 'a,b' }, events: 'yes' }));
    expect(err.message).toContain('leaseMs must be a positive number (got 0)');
    expect(err.message).toContain('worker.concurrency must be a whole number (got 1.5)');
    expect(err.message).toContain('worker.queues must be a list of queue names');
    expect(err.message).toContain('events must be true or false');
  });

  it('takes an array for no section', async () => {
    expect((await refusal(withFile({ worker: ['async'] }))).message).toContain('worker must be an object');
    expect((await refusal(withFile([]))).message).toContain('must export an object');
  });

  it("reads a tq.config.ts in a project without \"type\": \"module\" (its default export compiled to CommonJS)", async () => {
    for (const pkg of ['{}', '{"type": "module"}']) {
      const cwd = project({ 'package.json': pkg, 'tq.config.ts': "export default { tasksDir: 'jobs', worker: { pool: 'solo' } };\n" });
      expect((await resolveConfig({ cwd, env: {} })).worker.pool).toBe('solo');
    }
  });

  it('checks a TypeScript config file the same way', async () => {
    const cwd = project({ 'tq.config.ts': "export default { tasksDir: 'jobs', worker: { loglevl: 'debug' } };\n" });
    expect((await refusal({ cwd })).hint).toBe("did you mean 'worker.loglevel'?");
  });

  it('accepts log levels and pools in any case, and Celery level names, keeping them in lower case', async () => {
    const config = await resolveConfig({ ...withFile({ worker: { pool: 'Threads', loglevel: 'WARNING' } }), env: {} });
    expect(config.worker).toMatchObject({ pool: 'threads', loglevel: 'warn' });
  });
});

describe('TQ_* environment validation', () => {
  const cwd = () => project();

  it('refuses TQ_LOGLEVEL=verbose, listing the levels', async () => {
    const err = await refusal({ cwd: cwd(), env: { TQ_LOGLEVEL: 'verbose' } });
    expect(err.message).toBe('TQ_LOGLEVEL must be one of debug, info, warn, error (got "verbose")');
  });

  it('accepts TQ_LOGLEVEL=INFO and TQ_POOL=ASYNC case-insensitively', async () => {
    const config = await resolveConfig({ cwd: cwd(), env: { TQ_LOGLEVEL: 'INFO', TQ_POOL: 'ASYNC' } });
    expect(config.worker).toMatchObject({ loglevel: 'info', pool: 'async' });
  });

  it('refuses a pool, a number or a switch it cannot read, naming the variable', async () => {
    expect((await refusal({ cwd: cwd(), env: { TQ_POOL: 'gevent' } })).message).toBe('TQ_POOL must be one of prefork, threads, async, solo (got "gevent")');
    expect((await refusal({ cwd: cwd(), env: { TQ_CONCURRENCY: 'lots' } })).message).toBe('TQ_CONCURRENCY must be a number (got "lots")');
    expect((await refusal({ cwd: cwd(), env: { TQ_CONCURRENCY: '0' } })).message).toBe('TQ_CONCURRENCY must be at least 1 (got 0)');
    expect((await refusal({ cwd: cwd(), env: { TQ_EVENTS: 'maybe' } })).message).toBe('TQ_EVENTS must be true or false (got "maybe")');
  });

  it('reads switches and lists the way it always did', async () => {
    const config = await resolveConfig({ cwd: cwd(), env: { TQ_EVENTS: 'off', TQ_QUEUES: 'mail, default', TQ_LEASE_MS: '5000' } });
    expect(config).toMatchObject({ events: false, leaseMs: 5000, worker: { queues: ['mail', 'default'] } });
  });

  it('names an override by what set it', async () => {
    const err = await refusal({ cwd: cwd(), overrides: { worker: { pool: 'gevent' as never } }, describeOverride: (p) => `--${p.split('.').at(-1)}` });
    expect(err.message).toBe('--pool must be one of prefork, threads, async, solo (got "gevent")');
  });
});

describe('the project root', () => {
  it('is the nearest directory upward with a package.json, as npm finds it', () => {
    const root = project({ 'package.json': '{}', 'tasks/math.ts': '' });
    expect(findProjectRoot(join(root, 'tasks'))).toBe(root);
  });

  it('is the nearest directory upward with a tq.config file, even without a package.json', () => {
    const root = project({ 'tq.config.mjs': 'export default {};\n', 'a/b/.keep': '' });
    expect(findProjectRoot(join(root, 'a', 'b'))).toBe(root);
  });

  it('is the starting directory when nothing marks a project above it', () => {
    const dir = project({ 'a/.keep': '' });
    expect(findProjectRoot(join(dir, 'a'))).toBe(join(dir, 'a'));
  });

  it('resolves tasks, broker file and config from the root, and TQ_PROJECT_ROOT wins', async () => {
    const root = project({ 'package.json': '{}', 'tq.config.json': '{"tasksDir": "jobs"}', 'sub/.keep': '' });
    const config = await resolveConfig({ cwd: join(root, 'sub'), env: {} });
    expect(config).toMatchObject({ projectRoot: root, tasksDir: join(root, 'jobs'), configFile: join(root, 'tq.config.json') });
    const other = project();
    expect((await resolveConfig({ env: { TQ_PROJECT_ROOT: other } })).projectRoot).toBe(other);
  });

  it('is only read: resolving config creates nothing', async () => {
    const root = project({ 'package.json': '{}' });
    await resolveConfig({ cwd: root, env: {} });
    expect(readdirSync(root)).toEqual(['package.json']);
  });
});

describe('suggestNames', () => {
  it('suggests a name for a slip in its first word, a typo or a prefix', () => {
    expect(suggestNames('brokr', ['brokerUrl', 'tasksDir', 'keyPrefix'])).toEqual(['brokerUrl']);
    expect(suggestNames('wroker', ['worker', 'call', 'beat'])).toEqual(['worker']);
    expect(suggestNames('send', ['send_mail', 'add'])).toEqual(['send_mail']);
    expect(suggestNames('xyzzy', ['worker', 'call', 'beat'])).toEqual([]);
  });
});
