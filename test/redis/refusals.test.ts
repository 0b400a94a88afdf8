import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalOf } from '../../src/runtime/brokers/redis/reply-errors.js';
import { closeDefaultClient, createClient } from '../../src/runtime/client.js';
import { TqError } from '../../src/runtime/errors.js';
import { task } from '../../src/runtime/task.js';
import { runCli, startCli, type CliResult, type RunningCli } from '../support/cli.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const TASKS = 'test/fixtures/cluster-tasks';
/** The ACL the README recommends for tq's user (section "Redis ACL"), for the default prefix tq:. */
const README_ACL = ['~tq:*', '&tq:*', '+@read', '+@write', '+@scripting', '+@pubsub', '+@connection', '-@dangerous', '+time', '+info', '+config|get', '+client|unblock'];

/** A user-facing failure: exactly an `Error:` line and a `Hint:` line on stderr, no stack. */
function expectOneLine(r: CliResult, message: RegExp, hint: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('['));
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^Error: /);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^Hint: /);
  expect(lines[1]).toMatch(hint);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('ReplyError');
}

const call = (url: string, ...extra: string[]) => runCli(['call', 'noop', '1', '--no-check', '--broker', url, ...extra]);
const worker = (url: string, ...extra: string[]) =>
  runCli(['worker', '-P', 'solo', '--no-tui', '--tasks', TASKS, '--broker', url, ...extra], { timeoutMs: 20_000 });

/**
 * What Redis refuses (a write when it is out of memory, a key or a command an
 * ACL user may not touch, a write on a replica) is a broker condition, not a
 * bug in tq: the CLI exits 4 with one line and a hint, and the library rejects
 * with a TqError carrying the code. An error reply tq did not expect still
 * surfaces as a bug, with its stack.
 */
describe('Redis refusals', () => {
  describe('out of memory (maxmemory with noeviction)', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer({ args: ['--maxmemory', '2mb'] });
      const admin = new Redis(server.url);
      try {
        // Fill it until Redis refuses writes, then lower the limit well below what it holds, so
        // the memory a closing connection frees cannot bring it back under.
        for (let i = 0; ; i++) {
          const refused = await admin.set(`junk:${i}`, 'x'.repeat(64 * 1024)).then(() => false, (err: Error) => /^OOM/.test(err.message));
          if (refused) break;
        }
        await admin.config('SET', 'maxmemory', '1mb');
      } finally {
        admin.disconnect();
      }
    }, 30_000);
    afterAll(() => server.stop());

    it('ends `tq call` with exit 4, one line and a hint (raise maxmemory, keep noeviction)', async () => {
      const r = await call(server.url);
      expect(r.code, r.stderr).toBe(4);
      expectOneLine(r, /refused enqueue \(out of memory.*OOM command not allowed/, /raise maxmemory.*keep maxmemory-policy noeviction/);
    });

    it('makes .delay(), applyAsync() and sendTask() reject with TqError BROKER_REFUSED', async () => {
      const noop = task((n: number) => n, { name: 'noop' });
      const client = await createClient({ brokerUrl: server.url });
      try {
        await expect(client.sendTask('noop', { args: [1] })).rejects.toMatchObject({ name: 'TqError', code: 'BROKER_REFUSED' });
        await expect(noop.applyAsync({ args: [1] }, client)).rejects.toBeInstanceOf(TqError);
      } finally {
        await client.close();
      }
      process.env.TQ_BROKER_URL = server.url;
      try {
        const err = await noop.delay(1).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(TqError);
        expect(err).toMatchObject({ code: 'BROKER_REFUSED', hint: expect.stringContaining('maxmemory') });
      } finally {
        delete process.env.TQ_BROKER_URL;
        await closeDefaultClient();
      }
    });

    it('stops `tq worker` at start-up with exit 4 and one line, before it says ready', async () => {
      const r = await worker(server.url);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout + r.stderr).not.toContain('ready.');
      expectOneLine(r, /out of memory/, /raise maxmemory/);
    });
  });

  describe('ACL users', () => {
    let server: RedisServer;
    const as = (user: string) => server.url.replace('redis://', `redis://${user}:pw@`);
    beforeAll(async () => {
      server = await startRedisServer({
        args: [
          '--user', 'elsewhere', 'on', '>pw', '~other:*', '&*', '+@all',
          '--user', 'noconfig', 'on', '>pw', '~tq:*', '&tq:*', '+@all', '-config',
          '--user', 'readme', 'on', '>pw', ...README_ACL,
        ],
      });
    }, 30_000);
    const started: RunningCli[] = [];
    afterAll(async () => {
      for (const w of started) {
        w.signal('SIGKILL');
        await w.exited;
      }
      await server.stop();
    });

    it("ends `tq call` with exit 4 when the user may not touch tq's keys, naming the key pattern to grant", async () => {
      const r = await call(as('elsewhere'));
      expect(r.code, r.stderr).toBe(4);
      expectOneLine(r, /refused enqueue \(the ACL user may not do this\)/, /~tq:\* &tq:\*.*\+@all/);
    });

    it('stops `tq worker` at start-up with exit 4 and one line for such a user', async () => {
      const r = await worker(as('elsewhere'));
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout + r.stderr).not.toContain('ready.');
      expectOneLine(r, /the ACL user may not do this/, /~tq:\*/);
    });

    it('reports a wrong password as refused credentials, not as an unreachable Redis', async () => {
      const r = await call(server.url.replace('redis://', 'redis://readme:wrong@'));
      expect(r.code).toBe(4);
      expectOneLine(r, /wrong user name or password/, /user and password in the broker URL/);
      expect(r.stderr).not.toContain(':wrong@');
    });

    it('warns that it could not check maxmemory-policy for a user without CONFIG, and still starts', async () => {
      const output = await runCliUntilReady(as('noconfig'));
      expect(output).toMatch(/WARN.*cannot read Redis maxmemory-policy \(NOPERM[^)]*\).*verify it is noeviction.*--strict refuses to start/);
    });

    it('refuses to start with --strict when it cannot check maxmemory-policy (exit 4)', async () => {
      const r = await worker(as('noconfig'), '--strict');
      expect(r.code, r.stderr).toBe(4);
      expectOneLine(r, /--strict: cannot read Redis maxmemory-policy/, /verify it is noeviction.*\+config\|get/);
    });

    it("runs tasks, inspect and control as a user with exactly the README's ACL", async () => {
      const output = await runCliUntilReady(as('readme'), ['-n', 'acl-worker']);
      expect(output).not.toMatch(/WARN|ERROR/);
      const done = await runCli(['call', 'noop', '7', '--wait', '--timeout', '20', '--no-check', '--broker', as('readme')]);
      expect(done.stdout.trim(), done.stderr).toBe('7');
      const ping = await runCli(['inspect', 'ping', '-d', 'acl-worker', '--json', '--broker', as('readme')]);
      expect(JSON.parse(ping.stdout)).toEqual({ 'acl-worker': 'pong' });
      const grow = await runCli(['control', 'pool_grow', '1', '--broker', as('readme')]);
      expect(grow.code, grow.stderr).toBe(0);
    }, 60_000);

    /** Starts a worker as a subprocess and returns its output once it is ready; killed after these tests. */
    async function runCliUntilReady(url: string, extra: string[] = []): Promise<string> {
      const w = startCli(['worker', '-P', 'async', '--no-tui', '--tasks', TASKS, '--broker', url, ...extra]);
      started.push(w);
      await w.waitForOutput(/ready\./, 30_000);
      return w.output();
    }
  });

  describe('a read-only replica, a missing database, a busy script', () => {
    let primary: RedisServer;
    let replica: RedisServer;
    beforeAll(async () => {
      primary = await startRedisServer({ args: ['--busy-reply-threshold', '50'] });
      replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    }, 30_000);
    afterAll(async () => {
      await replica.stop();
      await primary.stop();
    });

    it('ends `tq call` on a replica with exit 4: point the URL at the primary', async () => {
      const r = await call(replica.url);
      expect(r.code, r.stderr).toBe(4);
      expectOneLine(r, /read-only replica/, /primary/);
    });

    it('refuses a database number Redis does not have, instead of using database 0', async () => {
      const r = await call(primary.url.replace(/\/0$/, '/99'));
      expect(r.code, r.stderr).toBe(4);
      expectOneLine(r, /no such database.*DB index is out of range/, /databases/);
    });

    it('ends `tq call` with exit 4 while a script keeps Redis busy', async () => {
      // Connected before Redis is busy: ioredis's ready check cannot pass while it is.
      const admin = new Redis(primary.url, { enableReadyCheck: false });
      const hog = new Redis(primary.url);
      await Promise.all([admin.ping(), hog.ping()]);
      const spinning = hog.eval('while true do end', 0).catch(() => undefined);
      try {
        // BUSY replies start once the script has run longer than busy-reply-threshold.
        await expect.poll(() => admin.ping().then(() => 'ok', (e: Error) => e.message), { timeout: 10_000 }).toMatch(/^BUSY/);
        const r = await call(primary.url);
        expect(r.code, r.stderr).toBe(4);
        expectOneLine(r, /busy running a script/, /SCRIPT KILL/);
      } finally {
        await admin.script('KILL').catch(() => undefined);
        await spinning;
        admin.disconnect();
        hog.disconnect();
      }
    });

    it('keeps an error reply tq did not expect a bug: exit 1 and the raw error, in the CLI and the library', async () => {
      // A key of the wrong type under tq's prefix: the enqueue script's SADD fails with WRONGTYPE.
      const admin = new Redis(primary.url);
      await admin.set('bug:queues', 'not a set');
      await admin.set('bug2:queues', 'not a set');
      admin.disconnect();
      const r = await runCli(['call', 'noop', '1', '--no-check', '--broker', primary.url], { env: { TQ_KEY_PREFIX: 'bug:' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ReplyError: WRONGTYPE');
      expect(r.stderr).not.toContain('Hint:');
      const client = await createClient({ brokerUrl: primary.url, keyPrefix: 'bug2:' });
      try {
        const err = await client.sendTask('noop').then(() => null, (e: unknown) => e);
        expect(err).not.toBeInstanceOf(TqError);
        expect((err as Error).message).toMatch(/^WRONGTYPE/);
      } finally {
        await client.close();
      }
    });
  });

  it('tells refusals from bugs by the reply, in every form Redis 6 and 7 give them', async () => {
    const server = await startRedisServer();
    const redis = new Redis(server.url);
    try {
      const replyTo = (script: string) => redis.eval(script, 0).then(() => undefined, (e: unknown) => e);
      const kind = (err: unknown) => refusalOf(err, 'redis://x', 'tq:', 'op')?.message.match(/\(([^)]*)\)/)?.[1] ?? 'bug';
      expect(kind(await replyTo('return redis.error_reply("OOM command not allowed when used memory > \'maxmemory\'.")'))).toMatch(/out of memory/);
      expect(kind(await replyTo('return redis.error_reply("ERR Error running script (call to f_1): @user_script:1: -OOM command not allowed")'))).toMatch(/out of memory/);
      expect(kind(await replyTo('return redis.error_reply("LOADING Redis is loading the dataset in memory")'))).toMatch(/loading/);
      expect(kind(await replyTo('return redis.error_reply("MISCONF Redis is configured to save RDB snapshots, but it\'s currently unable to persist to disk")'))).toMatch(/save to disk/);
      expect(kind(await replyTo('return redis.error_reply("ERR ACL failure in script: No permissions to access a key")'))).toMatch(/ACL/);
      expect(kind(await replyTo('return redis.error_reply("MOVED 3999 127.0.0.1:6381")'))).toMatch(/Cluster/);
      expect(kind(await replyTo('return redis.error_reply("NOREPLICAS Not enough good replicas to write.")'))).toMatch(/replicas/);
      // Bugs: a Lua runtime error, a wrong type, a key called BUSYKEY, and errors that are not replies at all.
      expect(kind(await replyTo('local x = nil; return x.y'))).toBe('bug');
      expect(kind(await replyTo('return redis.error_reply("WRONGTYPE Operation against a key holding the wrong kind of value")'))).toBe('bug');
      expect(kind(await replyTo('return redis.error_reply("BUSYKEY Target key name already exists.")'))).toBe('bug');
      expect(kind(new Error('OOM command not allowed'))).toBe('bug');
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
