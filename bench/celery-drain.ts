import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '../test/support/redis-server.js';
import { printTable, rate, startWorker, type Row } from './support.js';

const N = 20_000;
const DRAIN_DEADLINE_MS = 300_000;
const PYTHON = '/usr/bin/python3';
const CELERY_DIR = fileURLToPath(new URL('./celery/', import.meta.url));

/**
 * `npm run bench -- celery`: a tq worker (protocol 'celery') and Python
 * Celery 5's worker each drain the same 20,000 Celery-protocol no-op messages
 * (ignore_result, as a drain bench should be) from one fresh redis-server in
 * kombu's layout, one after the other in the same run. The messages are
 * published once by Python (celery's own producer) into a spare database and
 * copied into the queue before each drain, so every worker starts from the
 * same bytes; the rate is between a start and an end mark task bracketing
 * them, run by the worker itself (so start-up and publishing are not timed).
 */
export async function benchCeleryDrain(): Promise<void> {
  const server = await startRedisServer();
  const rows: Row[] = [];
  try {
    const source = `redis://127.0.0.1:${server.port}/1`;
    progress(`publishing ${N.toLocaleString('en-US')} messages with Python Celery on ${source}…`);
    publish(source);
    const url = `redis://127.0.0.1:${server.port}/0`;
    const tq: number[] = [];
    for (const [pool, conc] of [['async', '100'], ['threads', '2']] as const) {
      progress(`draining with tq (${pool} -c ${conc})…`);
      const ms = await drain(source, url, () => startWorker(['--broker', url, '-P', pool, '-c', conc, '--no-events'], { TQ_PROTOCOL: 'celery', BENCH_MARK_REDIS: url }));
      tq.push(ms);
      rows.push({ metric: `tq worker (${pool} -c ${conc})`, value: rate(N, ms), note: `${ms} ms` });
    }
    const celery: number[] = [];
    for (const args of [['-P', 'solo'], ['-P', 'prefork', '-c', '2']]) {
      progress(`draining with Celery (${args.slice(1).join(' ')})…`);
      const ms = await drain(source, url, () => startCelery(url, args));
      celery.push(ms);
      rows.push({ metric: `Celery 5 worker (${args.slice(1).join(' ')})`, value: rate(N, ms), note: `${ms} ms` });
    }
    rows.push({ metric: "tq's best vs Celery's best", value: `${(Math.min(...celery) / Math.min(...tq)).toFixed(1)}×`, note: 'target ≥ 5×' });
  } finally {
    await server.stop();
  }
  printTable(`Celery protocol on Redis: draining ${N.toLocaleString('en-US')} no-op messages (kombu layout)`, rows);
}

/** Where a long bench is, on stderr (the tables go to stdout). */
function progress(line: string): void {
  process.stderr.write(`[bench celery] ${line}\n`);
}

function publish(url: string): void {
  const run = spawnSync(PYTHON, ['drainapp.py', 'publish', String(N)], { cwd: CELERY_DIR, env: { ...process.env, BENCH_BROKER: url }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`publishing with Python Celery failed (install python3-celery python3-redis): ${run.stderr || run.error?.message}`);
}

/** Copies the published queue into `url`'s database, starts a worker, and times start mark → end mark. */
async function drain(source: string, url: string, start: () => Promise<{ stop(): Promise<void> }>): Promise<number> {
  const redis = new Redis(url);
  const from = new Redis(source);
  try {
    await redis.flushdb();
    const db = Number(url.split('/').pop());
    for (const key of await from.keys('*')) await from.copy(key, key, 'DB', db, 'REPLACE');
    const worker = await start();
    // A worker that cannot drain (a crash, a task it does not know) ends the bench with a message, not a hang.
    const deadline = Date.now() + DRAIN_DEADLINE_MS;
    try {
      while (Date.now() < deadline) {
        const [s, e] = await redis.mget('bench:start', 'bench:end');
        if (s && e) return Math.round((Number(e) - Number(s)) * 1000);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the worker did not drain ${N} messages within ${DRAIN_DEADLINE_MS / 1000} s (${await redis.llen('celery')} left in 'celery')`);
    } finally {
      await worker.stop();
    }
  } finally {
    redis.disconnect();
    from.disconnect();
  }
}

async function startCelery(url: string, args: string[]): Promise<{ stop(): Promise<void> }> {
  const child = spawn(PYTHON, ['-m', 'celery', '-A', 'drainapp', 'worker', '-l', 'warning', '--without-gossip', '--without-mingle', '--without-heartbeat', ...args], {
    cwd: CELERY_DIR,
    env: { ...process.env, BENCH_BROKER: url },
    stdio: 'ignore',
    detached: true,
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        process.kill(-child.pid!, 'SIGTERM');
      }),
  };
}
