/**
 * `npm run bench -- amqp` (issue 14): tq beside Python Celery 5 (Debian's
 * python3-celery, bench/celery/amqpapp.py) on the machine's RabbitMQ, in a
 * virtual host made for the run and deleted after it, results of both in one
 * private redis-server (a database each). Both store every no-op's result, as
 * each does by default; neither worker sends events.
 *
 * Loaded the same way: each side's own producer publishes the drain's
 * messages (a start mark, 20,000 no-op, an end mark) before its worker
 * starts (Celery's once, through a fanout exchange into one queue per Celery
 * worker: its producer is too slow here to publish them three times); the
 * rate is between the marks (bench/tasks/bench_mark.ts, the same task in
 * amqpapp.py), written by the worker itself, so start-up and publishing are
 * not timed. Idle latency: each side's handler takes the time
 * first thing and subtracts the producer's send time. tq publishes with
 * confirms always; Celery's rows are given with confirms (like for like) and
 * without (Celery's default). Enqueue is timed one at a time (each send
 * awaited before the next: bounded by RabbitMQ's confirm round trip, a Raft
 * commit and fsync on a quorum queue) and with CALLERS callers at once, each
 * awaiting its own send, as a web server's requests do (tq: async calls on
 * one client; Celery: threads sharing its producer pool). Celery uses its default classic queue, tq its
 * quorum bands. Drains run each side's defaults (prefetch multiplier: tq 1,
 * Celery 4) and one raised prefetch each: Celery's solo worker drains about
 * 40× faster with 64 than with its default 4 here. One round per row: run it
 * twice to see the spread.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createClient, type Client } from '../src/index.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { BENCH_TASKS, BIN } from './support.js';

const N_ONE = Number(process.env.TQ_BENCH_ONE ?? 5_000);
const N_BULK = Number(process.env.TQ_BENCH_BULK ?? 20_000);
const N_DRAIN = Number(process.env.TQ_BENCH_DRAIN ?? 20_000);
/**
 * Celery's enqueue rows send fewer (a rate is a rate): with confirms its
 * producer managed under 200 messages/s on this machine, so tq's counts would
 * take minutes.
 */
const CELERY_N_ONE = Math.min(N_ONE, 1_000);
const CELERY_N_BULK = Math.min(N_BULK, 2_000);
const N_LATENCY = 1_000;
const N_WARMUP = 1_000;
const BULK_CHUNK = 1_000;
/** The concurrent enqueue row: this many callers at once, each awaiting its own confirmed send (a web server's requests). */
const CALLERS = 100;
/** Enqueue rows publish here, a queue no worker consumes (the vhost goes at the end). */
const ENQUEUE_QUEUE = 'bench-enqueue';
const PYTHON = '/usr/bin/python3';
const CELERY_DIR = fileURLToPath(new URL('./celery/', import.meta.url));
const STOP_GRACE_MS = 3_000;
const PROBE_TASKS = fileURLToPath(new URL('../test/fixtures/redis-tasks', import.meta.url));

const step = (what: string) => process.stderr.write(`  amqp bench: ${what}\n`);
const perSec = (n: number, ms: number) => (n / ms) * 1000;
const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  metric: string;
  tq: number;
  celery: number;
  note: string;
}

export async function benchAmqp(): Promise<void> {
  const vhost = `tqbench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  rabbitmqctl(['add_vhost', vhost]);
  const server = await startRedisServer().catch((err: unknown) => {
    rabbitmqctl(['delete_vhost', vhost]);
    throw err;
  });
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-amqp-'));
  const stores: Stores = {
    amqp: `amqp://guest:guest@127.0.0.1:5672/${vhost}`,
    tqRedis: server.url,
    celeryRedis: server.url.replace(/\/0$/, '/1'),
    dir,
  };
  try {
    rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
    printRows(await measure(stores));
  } finally {
    await server.stop();
    rabbitmqctl(['delete_vhost', vhost]);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CeleryEnqueue {
  one_ms: number;
  bulk_ms: number;
}

interface CeleryCallers {
  ms: number;
}

interface Stores {
  amqp: string;
  tqRedis: string;
  celeryRedis: string;
  dir: string;
}

async function measure(s: Stores): Promise<Row[]> {
  const rows: Row[] = [];
  step('tq: enqueue');
  const tqEnq = await tqEnqueue(s);
  step('Celery: enqueue, with and without confirms');
  const celeryConfirmed = celeryCommand<CeleryEnqueue>(s, ['enqueue', CELERY_N_ONE, CELERY_N_BULK, ENQUEUE_QUEUE], true);
  const celeryDefault = celeryCommand<CeleryEnqueue>(s, ['enqueue', CELERY_N_ONE, CELERY_N_BULK, ENQUEUE_QUEUE]);
  step(`Celery: enqueue, ${CALLERS} callers at once, with and without confirms`);
  const celeryCallersConfirmed = celeryCommand<CeleryCallers>(s, ['callers', CELERY_N_ONE, CALLERS, ENQUEUE_QUEUE], true);
  const celeryCallersDefault = celeryCommand<CeleryCallers>(s, ['callers', CELERY_N_ONE, CALLERS, ENQUEUE_QUEUE]);
  rows.push({ metric: 'enqueue, one at a time (/s)', tq: perSec(N_ONE, tqEnq.oneMs), celery: perSec(CELERY_N_ONE, celeryConfirmed.one_ms), note: `Celery with confirms; without ${fmt(perSec(CELERY_N_ONE, celeryDefault.one_ms))}/s (tq ÷ that ${ratio(perSec(N_ONE, tqEnq.oneMs), perSec(CELERY_N_ONE, celeryDefault.one_ms))}); target ≥ 2×` });
  const tqCallers = perSec(N_ONE, tqEnq.callersMs);
  rows.push({ metric: `enqueue, ${CALLERS} callers at once (/s)`, tq: tqCallers, celery: perSec(CELERY_N_ONE, celeryCallersConfirmed.ms), note: `each awaits its own confirmed send; Celery: ${CALLERS} threads, confirms; without ${fmt(perSec(CELERY_N_ONE, celeryCallersDefault.ms))}/s (tq ÷ that ${ratio(tqCallers, perSec(CELERY_N_ONE, celeryCallersDefault.ms))})` });
  rows.push({ metric: `enqueue, bulk of ${BULK_CHUNK} (/s)`, tq: perSec(N_BULK, tqEnq.bulkMs), celery: perSec(CELERY_N_BULK, celeryConfirmed.bulk_ms), note: `Celery: a loop in one producer, confirms; without ${fmt(perSec(CELERY_N_BULK, celeryDefault.bulk_ms))}/s (tq ÷ that ${ratio(perSec(N_BULK, tqEnq.bulkMs), perSec(CELERY_N_BULK, celeryDefault.bulk_ms))})` });

  // Each side with its defaults (prefetch multiplier: tq 1, Celery 4), plus one raised prefetch each.
  const drains = new Map<string, { rate: number; rssMiB: number }>();
  const tqWorkers = [['c1', ['-c', '1']], ['c10', ['-c', '10']], ['c50', ['-c', '50']], ['c1 x64', ['-c', '1', '--prefetch-multiplier', '64']], ['c50 x4', ['-c', '50', '--prefetch-multiplier', '4']]] as const;
  for (const [label, args] of tqWorkers) {
    step(`tq: drain, ${label}`);
    // A queue per drain: nothing a previous worker left unacked can run in this one.
    const queue = `drain-${label.replace(' ', '')}`;
    drains.set(`tq ${label}`, await drain(s.tqRedis, () => tqPublish(s, queue), () => startTq(s, BENCH_TASKS, [...args, '-Q', queue], { BENCH_MARK_REDIS: s.tqRedis })));
  }
  const celeryWorkers = [['solo', ['-P', 'solo']], ['solo x64', ['-P', 'solo', '--prefetch-multiplier', '64']], ['prefork 2', ['-P', 'prefork', '-c', '2']], ['prefork 10', ['-P', 'prefork', '-c', '10']]] as const;
  const queueOf = (label: string) => `drain-${label.replace(' ', '')}`;
  step(`Celery: publishing the drain's ${N_DRAIN} messages (once, copied to one queue per worker)`);
  celeryCommand(s, ['publish', N_DRAIN, ...celeryWorkers.map(([label]) => queueOf(label))]);
  for (const [label, args] of celeryWorkers) {
    step(`Celery: drain, ${label}`);
    drains.set(`celery ${label}`, await drain(s.celeryRedis, async () => undefined, () => startCelery(s, [...args, '-Q', queueOf(label)])));
  }
  const d = (k: string) => drains.get(k)!;
  const best = (side: string) => [...drains].filter(([k]) => k.startsWith(side)).sort((a, b) => b[1].rate - a[1].rate)[0]!;
  const [celeryBest, tqBest] = [best('celery '), best('tq ')];
  const name = (key: string) => (key.startsWith('tq ') ? `tq async ${key.slice(3)}` : `Celery ${key.slice(7)}`).replace(/ x(\d+)/, ' --prefetch-multiplier $1').replace(/ c(\d+)/, ' -c $1').replace('prefork ', 'prefork -c ');
  const drainRow = (metric: string, tqKey: string, celeryKey: string, note = '') => ({ metric, tq: d(tqKey).rate, celery: d(celeryKey).rate, note: `${name(tqKey)} vs ${name(celeryKey)}${note}` });
  rows.push(drainRow(`drain ${N_DRAIN} no-op, c=1 (/s)`, 'tq c1', 'celery solo'));
  rows.push(drainRow(`drain ${N_DRAIN} no-op, c=10 (/s)`, 'tq c10', 'celery prefork 10'));
  rows.push(drainRow(`drain ${N_DRAIN} no-op, c=50 (/s)`, 'tq c50', celeryBest[0], " (Celery's best); target ≥ 5×"));
  rows.push(drainRow('drain, c=1, prefetch raised (/s)', 'tq c1 x64', 'celery solo x64'));
  rows.push(drainRow('drain, prefork -c 2 beside tq -c 50 (/s)', 'tq c50', 'celery prefork 2'));
  rows.push(drainRow("drain, each side's best (/s)", tqBest[0], celeryBest[0]));
  rows.push({ metric: 'worker RSS after the drain (MiB)', tq: d('tq c50').rssMiB, celery: d('celery prefork 10').rssMiB, note: `tq -c 50; Celery prefork -c 10, all processes (solo ${fmt(d('celery solo').rssMiB)}, prefork -c 2 ${fmt(d('celery prefork 2').rssMiB)})` });

  step('tq: idle latency');
  const tqLat = await tqLatency(s);
  step('Celery: idle latency, solo');
  const celerySolo = await celeryLatency(s, ['-P', 'solo']);
  step('Celery: idle latency, prefork -c 2');
  const celeryPrefork = await celeryLatency(s, ['-P', 'prefork', '-c', '2']);
  for (const p of [50, 99]) {
    rows.push({ metric: `enqueue → start p${p}, idle worker (ms)`, tq: pct(tqLat, p), celery: pct(celerySolo, p), note: `tq async -c 10; Celery solo (prefork -c 2: ${pct(celeryPrefork, p).toFixed(2)})` });
  }
  return rows;
}

/**
 * One producer's enqueue rows: one at a time (each confirmed before the next), CALLERS callers
 * at once (each awaiting its own send, so their confirms overlap), then bulk calls.
 */
async function tqEnqueue(s: Stores): Promise<{ oneMs: number; callersMs: number; bulkMs: number }> {
  const client = await tqClient(s);
  try {
    const one = () => client.sendTask('noop', { args: [0], queue: ENQUEUE_QUEUE });
    const bulk = () => client.sendMany(Array.from({ length: BULK_CHUNK }, (_, i) => ({ name: 'noop', options: { args: [i], queue: ENQUEUE_QUEUE } })));
    for (let i = 0; i < N_WARMUP; i++) await one(); // JIT and the queue's declarations, untimed
    await bulk();
    let t = performance.now();
    for (let i = 0; i < N_ONE; i++) await one();
    const oneMs = performance.now() - t;
    let left = N_ONE;
    t = performance.now();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (left-- > 0) await one();
      }),
    );
    const callersMs = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < N_BULK; i += BULK_CHUNK) await bulk();
    return { oneMs, callersMs, bulkMs: performance.now() - t };
  } finally {
    await client.close();
  }
}

function tqClient(s: Stores): Promise<Client> {
  return createClient({ cwd: s.dir, brokerUrl: s.amqp, backendUrl: s.tqRedis });
}

/** The drain's messages, in the order a worker takes them: start mark, the no-ops, end mark. */
async function tqPublish(s: Stores, queue: string): Promise<void> {
  const client = await tqClient(s);
  try {
    await client.sendTask('bench_mark', { args: ['start'], queue });
    for (let i = 0; i < N_DRAIN; i += BULK_CHUNK) await client.sendMany(Array.from({ length: BULK_CHUNK }, (_, j) => ({ name: 'noop', options: { args: [i + j], queue } })));
    await client.sendTask('bench_mark', { args: ['end'], queue });
  } finally {
    await client.close();
  }
}

/** Loads the queue, starts a worker, and times start mark → end mark (written by the worker in `redisUrl`). */
async function drain(redisUrl: string, load: () => Promise<void>, start: () => Promise<{ stop(): Promise<void>; rssKb(): number }>): Promise<{ rate: number; rssMiB: number }> {
  const redis = new Redis(redisUrl);
  try {
    await redis.flushdb(); // a private redis-server: only this bench's results and marks
    await load();
    const worker = await start();
    try {
      const deadline = Date.now() + 600_000;
      while (Date.now() < deadline) {
        const [s, e] = await redis.mget('bench:start', 'bench:end');
        if (s && e) return { rate: perSec(N_DRAIN, (Number(e) - Number(s)) * 1000), rssMiB: worker.rssKb() / 1024 };
        await sleep(50);
      }
      throw new Error(`the drain of ${N_DRAIN} messages did not end within 10 minutes`);
    } finally {
      await worker.stop();
    }
  } finally {
    redis.disconnect();
  }
}

/** A tq worker with the Redis bench's probe task (test/fixtures/redis-tasks), which reports its latencies after N_LATENCY runs. */
async function tqLatency(s: Stores): Promise<number[]> {
  const worker = await startTq(s, PROBE_TASKS, ['-c', '10'], { TQ_BENCH_N: String(N_LATENCY) });
  try {
    const client = await tqClient(s);
    try {
      await sleep(500); // idle: the worker waits on its consumers
      for (let i = 0; i < N_LATENCY; i++) {
        await client.sendTask('probe', { args: [performance.timeOrigin + performance.now()] });
        await sleep(5);
      }
      const [, json] = await worker.output(/TQBENCH (.*)\n/);
      return (JSON.parse(json!) as { latencies: number[] }).latencies;
    } finally {
      await client.close();
    }
  } finally {
    await worker.stop();
  }
}

interface TqWorker {
  output(pattern: RegExp): Promise<RegExpExecArray>;
  rssKb(): number;
  stop(): Promise<void>;
}

/**
 * `tq worker` (async pool, no events) on the bench's RabbitMQ and Redis, as its
 * own process; resolves once its banner is out (it consumes next). `stop`
 * sends SIGTERM and, after STOP_GRACE_MS, SIGKILL: a task module that keeps a
 * connection open (bench_mark's Redis client) keeps the process alive after
 * its warm shutdown, which has acked everything by then.
 */
async function startTq(s: Stores, tasks: string, args: string[], env: Record<string, string>): Promise<TqWorker> {
  const child = spawn(process.execPath, [BIN, 'worker', '--broker', s.amqp, '--backend', s.tqRedis, '-P', 'async', '--no-events', '--tasks', tasks, '-l', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let out = '';
  const waiting: (() => void)[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const w of waiting.splice(0)) w();
  });
  const output = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out);
        if (m) return resolve(m);
        if (child.exitCode !== null) return reject(new Error(`tq worker exited (${child.exitCode}):\n${out.slice(-2000)}`));
        waiting.push(check);
      };
      void exited.then(check);
      check();
    });
  await output(/\[tasks\]/);
  return {
    output,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function celeryLatency(s: Stores, args: string[]): Promise<number[]> {
  const redis = new Redis(s.celeryRedis);
  try {
    await redis.flushdb();
    const worker = await startCelery(s, args);
    try {
      await sleep(500);
      celeryCommand(s, ['latency', N_LATENCY]);
      const deadline = Date.now() + 60_000;
      while ((await redis.llen('bench:latency')) < N_LATENCY) {
        if (Date.now() > deadline) throw new Error('the Celery worker did not run every latency probe within a minute');
        await sleep(50);
      }
      return (await redis.lrange('bench:latency', 0, -1)).map(Number);
    } finally {
      await worker.stop();
    }
  } finally {
    redis.disconnect();
  }
}

/** Runs one amqpapp.py command (Celery's own producer) and returns its JSON line. */
function celeryCommand<T>(s: Stores, args: (string | number)[], confirm = false): T {
  const run = spawnSync(PYTHON, ['amqpapp.py', ...args.map(String)], { cwd: CELERY_DIR, env: celeryEnv(s, confirm), encoding: 'utf8', timeout: 600_000 });
  if (run.error || run.status !== 0) throw new Error(`amqpapp.py ${args.join(' ')} failed (${run.error?.message ?? run.stderr.trim().slice(-800)}); it needs Debian's python3-celery and python3-redis`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

function celeryEnv(s: Stores, confirm = false): NodeJS.ProcessEnv {
  return { ...process.env, BENCH_BROKER: s.amqp, BENCH_REDIS: s.celeryRedis, BENCH_CONFIRM: confirm ? '1' : '0' };
}

/** A Celery worker in a process group of its own; resolves once it is ready (amqpapp.py marks worker_ready in Redis). */
async function startCelery(s: Stores, args: string[]): Promise<{ stop(): Promise<void>; rssKb(): number }> {
  const redis = new Redis(s.celeryRedis);
  await redis.del('bench:ready');
  const child = spawn(PYTHON, ['-m', 'celery', '-A', 'amqpapp', 'worker', '-l', 'warning', '--without-gossip', '--without-mingle', '--without-heartbeat', ...args], { cwd: CELERY_DIR, env: celeryEnv(s), stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const deadline = Date.now() + 60_000;
    while (!(await redis.get('bench:ready'))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the Celery worker (${args.join(' ')}) did not become ready`);
      await sleep(50);
    }
  } catch (err) {
    process.kill(-child.pid!, 'SIGKILL');
    throw err;
  } finally {
    redis.disconnect();
  }
  return {
    rssKb: () => groupRssKb(child.pid!),
    stop: async () => {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/** VmRSS summed over a process group (a prefork worker and its children; shared pages count once per process). */
function groupRssKb(pgid: number): number {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const group = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
      if (group === pgid) kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the process ended while being read
    }
  }
  return kb;
}

export function rabbitmqctl(args: string[]): string {
  const run = spawnSync('rabbitmqctl', args, { encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} failed (${run.error?.message ?? run.stderr.trim()}); the bench needs the machine's RabbitMQ on 127.0.0.1:5672 (apt-get install rabbitmq-server)`);
  return run.stdout;
}

const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function printRows(rows: Row[]): void {
  const header = ['metric', 'tq', 'Celery 5', 'tq/Celery', 'note'];
  const lines = rows.map((r) => [r.metric, fmt(r.tq), fmt(r.celery), ratio(r.tq, r.celery), r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(`\nRabbitMQ: tq vs Celery 5 (one RabbitMQ vhost, results in one redis-server; workers in their own processes; one round)`);
  console.log(line(header));
  console.log('-'.repeat(widths.slice(0, 4).reduce((a, b) => a + b + 2, 0) + 4));
  for (const l of lines) console.log(line(l));
  console.log('(for rates higher is better; for ms and RSS lower is better)');
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) await benchAmqp();
