/**
 * `npm run bench -- redis-cost`: how much work Redis itself does per message,
 * for tq, BullMQ and bee-queue, counted in CPU instructions by valgrind's
 * callgrind on the redis-server. Unlike times on a shared machine, the counts
 * repeat to within a percent or two, so a change to a Lua script can be
 * judged by them. Needs valgrind (Debian: `apt-get install valgrind`); slow
 * (Redis runs about 50× slower under it), so not part of the default run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../test/support/redis-server.js';
import { producer, startWorker } from './redis.js';

const LIBS = ['tq', 'bullmq', 'bee-queue'] as const;
const N_ONE = 1_000;
const N_BULK = 10_000;
const N_DRAIN = 5_000;

interface CallgrindRedis {
  url: string;
  /** Instructions Redis ran during `work` and until it fell quiet; `work`'s cleanup runs after. */
  count(work: () => Promise<(() => void) | void>): Promise<number>;
  stop(): Promise<void>;
}

async function startCallgrindRedis(): Promise<CallgrindRedis> {
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('redis-cost needs valgrind: apt-get install valgrind');
  const dir = mkdtempSync(join(tmpdir(), 'tq-redis-cost-'));
  const port = await freePort();
  const out = join(dir, 'callgrind.out');
  const child: ChildProcess = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const admin = await connectWhenUp(url);
  let dumps = 0;
  // callgrind_control zeroes and dumps the running server's counters; each dump is a new file.
  const control = (flag: string) => spawnSync('callgrind_control', [flag, String(child.pid)], { stdio: 'ignore' });
  return {
    url,
    async count(work) {
      await admin.flushall();
      control('-z');
      const cleanup = await work();
      await settled(admin);
      control('-d');
      cleanup?.();
      dumps++;
      const file = readdirSync(dir).filter((f) => f.startsWith('callgrind.out.')).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))[dumps - 1];
      const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, file!), 'utf8'));
      return Number(totals![1]);
    },
    async stop() {
      admin.disconnect();
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Valgrind takes a few seconds to start Redis: try until it answers. */
async function connectWhenUp(url: string): Promise<Redis> {
  for (let attempt = 0; ; attempt++) {
    const admin = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    try {
      await admin.connect();
      await admin.ping();
      return admin;
    } catch (err) {
      admin.disconnect();
      if (attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Resolves once Redis has run no command for a while: the last acks have landed. */
async function settled(admin: Redis): Promise<void> {
  const calls = async () => [...(await admin.info('commandstats')).matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  let last = -1;
  for (;;) {
    const now = await calls();
    if (now === last + 1) return; // only our own INFO ran since the last look
    last = now;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function benchRedisCost(): Promise<void> {
  const server = await startCallgrindRedis();
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-cost-'));
  const rows = new Map<string, Record<string, number>>();
  const put = (row: string, lib: string, value: number) => rows.set(row, { ...rows.get(row), [lib]: value });
  try {
    for (const lib of LIBS) {
      process.stderr.write(`  redis-cost: ${lib}\n`);
      const p = await producer(lib, server.url, dir);
      await p.one(0); // the script loads and connection set-up are not counted
      await p.bulk(10);
      const one = await server.count(async () => {
        for (let i = 0; i < N_ONE; i++) await p.one(0);
      });
      put('one at a time, per message', lib, one / N_ONE);
      const bulk = await server.count(async () => {
        for (let i = 0; i < N_BULK; i += 1000) await p.bulk(1000);
      });
      put('bulk of 1000, per message', lib, bulk / N_BULK);
      const drain = await server.count(async () => {
        for (let i = 0; i < N_DRAIN; i += 1000) await p.bulk(1000);
      });
      const all = await server.count(async () => {
        for (let i = 0; i < N_DRAIN; i += 1000) await p.bulk(1000);
        const worker = await startWorker(lib, server.url, 50, N_DRAIN);
        await worker.report;
        return () => worker.stop();
      });
      put('enqueue in bulk + drain at c=50, per task run', lib, (all - drain) / N_DRAIN);
      await p.close();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\nRedis instructions (callgrind on redis-server), thousands per message');
  console.log(`${'work'.padEnd(48)}${LIBS.map((l) => l.padStart(11)).join('')}`);
  for (const [row, v] of rows) console.log(`${row.padEnd(48)}${LIBS.map((l) => `${(v[l]! / 1000).toFixed(1)}k`.padStart(11)).join('')}`);
}
