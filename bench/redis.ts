/**
 * tq vs BullMQ vs bee-queue on one freshly started redis-server (issue 3).
 * Every worker runs in its own process; each library's handler measures the
 * same things the same way (see `probe` in test/fixtures/redis-tasks/tasks.ts,
 * and `peerWorker` below): first/last handler start, enqueue → start latency,
 * RSS. Enqueue and drain rows are the median of alternating rounds. Redis command
 * counts come from INFO commandstats (commands run inside
 * Lua scripts included). `node --import tsx bench/redis.ts` runs it alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createClient, type Client } from '../src/index.js';
import { startRedisServer } from '../test/support/redis-server.js';

const LIBS = ['tq', 'bullmq', 'bee-queue'] as const;
type Lib = (typeof LIBS)[number];
const QUEUE = 'bench';
const N_ONE = Number(process.env.TQ_BENCH_ONE ?? 5_000);
/**
 * Untimed sends first, for every library alike: JIT warm-up and script loading
 * are not what the rows compare. Each client here (ioredis, node-redis) took
 * about 4,000 sends to reach its steady speed, and 2-4× longer per send before.
 */
const N_WARMUP = 5_000;
const N_BULK = Number(process.env.TQ_BENCH_BULK ?? 20_000);
/** Rounds per library of the enqueue and drain rows, alternating; a row gives each library's median. */
const ROUNDS = 3;
const BULK_CHUNK = 1_000;
const N_DRAIN = Number(process.env.TQ_BENCH_DRAIN ?? 20_000);
const N_LATENCY = 1_000;
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const TQ_TASKS = fileURLToPath(new URL('../test/fixtures/redis-tasks', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

interface Report {
  first: number;
  last: number;
  count: number;
  latencies: number[];
  rss: number;
}

/** One producer per library, the same calls for each. */
interface Producer {
  one(sentAt: number): Promise<unknown>;
  bulk(count: number): Promise<unknown>;
  close(): Promise<unknown>;
}

export async function producer(lib: Lib, url: string, dir: string): Promise<Producer> {
  const { hostname: host, port } = new URL(url);
  if (lib === 'tq') {
    const client: Client = await createClient({ cwd: dir, brokerUrl: url, defaultQueue: QUEUE });
    return {
      one: (sentAt) => client.sendTask('probe', { args: [sentAt] }),
      bulk: (count) => client.sendMany(Array.from({ length: count }, () => ({ name: 'probe', options: { args: [0] } }))),
      close: () => client.close(),
    };
  }
  if (lib === 'bullmq') {
    const { Queue } = await import('bullmq');
    const queue = new Queue(QUEUE, { connection: { host, port: Number(port) } });
    return {
      one: (sentAt) => queue.add('probe', { sentAt }),
      bulk: (count) => queue.addBulk(Array.from({ length: count }, () => ({ name: 'probe', data: { sentAt: 0 } }))),
      close: () => queue.close(),
    };
  }
  const { default: BeeQueue } = await import('bee-queue');
  const queue = new BeeQueue(QUEUE, { redis: { host, port: Number(port) }, isWorker: false, getEvents: false, sendEvents: false });
  await queue.ready();
  return {
    one: (sentAt) => queue.createJob({ sentAt }).save(),
    bulk: (count) => queue.saveAll(Array.from({ length: count }, () => queue.createJob({ sentAt: 0 }))),
    close: () => queue.close(),
  };
}

/** Starts a worker of `lib` in its own process; resolves with its report once `expect` tasks started. */
export async function startWorker(lib: Lib, url: string, concurrency: number, expect: number): Promise<{ report: Promise<Report>; stop(): void }> {
  const env = { ...process.env, TQ_BENCH_N: String(expect) };
  const child: ChildProcess =
    lib === 'tq'
      ? spawn(process.execPath, [BIN, 'worker', '--broker', url, '--pool', 'async', '-c', String(concurrency), '-Q', QUEUE, '-n', 'bench', '--tasks', process.env.TQ_BENCH_TASKS ?? TQ_TASKS, '-l', 'warn'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(process.execPath, ['--import', 'tsx', SELF, 'peer-worker', lib, url, String(concurrency)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let ready!: () => void;
  const readyP = new Promise<void>((resolve) => (ready = resolve));
  const report = new Promise<Report>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/\[tasks\]|PEER READY/.test(out)) ready(); // tq prints its banner just before it starts fetching
      const m = /TQBENCH (.*)\n/.exec(out);
      if (m) resolve(JSON.parse(m[1]!) as Report);
    });
    child.on('exit', (code) => reject(new Error(`${lib} worker exited (${code}) before reporting:\n${out.slice(-2000)}`)));
  });
  report.catch(() => undefined);
  await Promise.race([readyP, report.then(() => undefined)]);
  return { report, stop: () => void child.kill('SIGKILL') };
}

/** The BullMQ / bee-queue worker process: same probe as tq's. */
async function peerWorker(lib: Lib, url: string, concurrency: number): Promise<void> {
  const { hostname: host, port } = new URL(url);
  const expect = Number(process.env.TQ_BENCH_N);
  const bench = { first: undefined as number | undefined, last: 0, count: 0, latencies: [] as number[] };
  const probe = (sentAt: number) => {
    const now = performance.timeOrigin + performance.now();
    bench.first ??= now;
    bench.last = now;
    if (sentAt > 0) bench.latencies.push(now - sentAt);
    if (++bench.count === expect) process.stdout.write(`TQBENCH ${JSON.stringify({ ...bench, rss: process.memoryUsage().rss })}\n`);
    return null;
  };
  if (lib === 'bullmq') {
    const { Worker } = await import('bullmq');
    const worker = new Worker(QUEUE, async (job) => probe(job.data.sentAt), { connection: { host, port: Number(port) }, concurrency });
    await worker.waitUntilReady();
  } else {
    const { default: BeeQueue } = await import('bee-queue');
    const queue = new BeeQueue(QUEUE, { redis: { host, port: Number(port) }, getEvents: false });
    queue.process(concurrency, async (job: { data: { sentAt: number } }) => probe(job.data.sentAt));
    await queue.ready();
  }
  process.stdout.write('PEER READY\n');
}

async function commandCounts(admin: Redis): Promise<{ all: number; scripts: number }> {
  const stats = await admin.info('commandstats');
  let all = 0;
  let scripts = 0;
  for (const m of stats.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    if (['info', 'config', 'flushall'].includes(m[1]!)) continue;
    all += Number(m[2]);
    if (/^eval/.test(m[1]!)) scripts += Number(m[2]);
  }
  return { all, scripts };
}

/** Progress on stderr, so a long run shows where it is. */
const step = (what: string) => process.stderr.write(`  redis bench: ${what}\n`);
const perSec = (n: number, ms: number) => (n / ms) * 1000;
const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchRedis(): Promise<void> {
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-redis-'));
  // Every row keeps each library's samples, one per round; the table shows their median.
  const results = new Map<string, Record<Lib, number[]>>();
  const put = (row: string, lib: Lib, value: number) => {
    if (!results.has(row)) results.set(row, { tq: [], bullmq: [], 'bee-queue': [] });
    results.get(row)![lib].push(value);
  };
  try {
    const producers = new Map<Lib, Producer>();
    for (const lib of LIBS) {
      const p = await producer(lib, server.url, dir);
      for (let i = 0; i < N_WARMUP; i++) await p.one(0);
      await p.bulk(BULK_CHUNK);
      producers.set(lib, p);
    }
    // Rounds alternate between the libraries, so none is favoured by going first
    // or by a burst of noise on this shared machine.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const lib of LIBS) {
        step(`${lib}: enqueue, round ${round} of ${ROUNDS}`);
        const p = producers.get(lib)!;
        await admin.flushall();
        let t = performance.now();
        for (let i = 0; i < N_ONE; i++) await p.one(0);
        put('enqueue, one at a time (/s)', lib, perSec(N_ONE, performance.now() - t));
        await admin.flushall();
        t = performance.now();
        for (let i = 0; i < N_BULK; i += BULK_CHUNK) await p.bulk(BULK_CHUNK);
        put(`enqueue, bulk of ${BULK_CHUNK} (/s)`, lib, perSec(N_BULK, performance.now() - t));
      }
    }
    for (const p of producers.values()) await p.close();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of [1, 10, 50]) {
        for (const lib of LIBS) {
          step(`${lib}: drain at c=${c}, round ${round} of ${ROUNDS}`);
          await admin.flushall();
          await admin.config('RESETSTAT');
          const p = await producer(lib, server.url, dir);
          for (let i = 0; i < N_DRAIN; i += BULK_CHUNK) await p.bulk(BULK_CHUNK);
          await p.close();
          const worker = await startWorker(lib, server.url, c, N_DRAIN);
          const report = await worker.report;
          await sleep(200); // let the last finishes land before counting commands
          worker.stop();
          put(`drain ${N_DRAIN} no-op, c=${c} (/s)`, lib, perSec(report.count - 1, report.last - report.first));
          if (c === 50) {
            const counts = await commandCounts(admin);
            put('Redis commands per task (enqueue + run)', lib, counts.all / N_DRAIN);
            put('  of which script calls', lib, counts.scripts / N_DRAIN);
            put('worker RSS after c=50 drain (MiB)', lib, report.rss / 2 ** 20);
          }
        }
      }
    }
    for (const lib of LIBS) {
      step(`${lib}: latency`);
      await admin.flushall();
      const worker = await startWorker(lib, server.url, 10, N_LATENCY);
      const p = await producer(lib, server.url, dir);
      await sleep(500); // idle: the worker is blocked waiting
      for (let i = 0; i < N_LATENCY; i++) {
        await p.one(performance.timeOrigin + performance.now());
        await sleep(5);
      }
      const report = await worker.report;
      worker.stop();
      await p.close();
      put('enqueue → start p50, idle worker (ms)', lib, pct(report.latencies, 50));
      put('enqueue → start p99, idle worker (ms)', lib, pct(report.latencies, 99));
    }
    printComparison(results);
  } finally {
    admin.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printComparison(samples: Map<string, Record<Lib, number[]>>): void {
  const results = new Map([...samples].map(([row, r]) => [row, { tq: pct(r.tq, 50), bullmq: pct(r.bullmq, 50), 'bee-queue': pct(r['bee-queue'], 50) }]));
  const lowerIsBetter = (row: string) => /ms\)|RSS|commands|script/.test(row);
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  const header = ['metric', 'tq', 'BullMQ', 'bee-queue', 'tq/BullMQ', 'tq/bee-queue'];
  const lines = [...results].map(([row, r]) => [row, fmt(r.tq), fmt(r.bullmq), fmt(r['bee-queue']), `${(r.tq / r.bullmq).toFixed(2)}×`, `${(r.tq / r['bee-queue']).toFixed(2)}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\nRedis: tq vs BullMQ vs bee-queue (one redis-server, workers in their own processes; enqueue and drain: median of ${ROUNDS} alternating rounds)`);
  console.log(line(header));
  console.log('-'.repeat(widths.reduce((a, b) => a + b + 2, 0)));
  for (const l of lines) console.log(line(l));
  console.log(`(ratios: for rates higher is better; for ms, RSS and commands lower is better: ${[...results.keys()].filter(lowerIsBetter).length} such rows)`);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv[2] === 'peer-worker') await peerWorker(process.argv[3] as Lib, process.argv[4]!, Number(process.argv[5]));
  else await benchRedis();
}
