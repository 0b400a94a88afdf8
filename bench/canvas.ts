import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chord, signature, type AsyncResult } from '../src/index.js';
import { createClient } from '../src/runtime/client.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { printTable, startWorker, type Row } from './support.js';

const N = 10_000;
const CELERY_CHORD = fileURLToPath(new URL('./celery/chord.py', import.meta.url));

/**
 * `npm run bench -- canvas`: a chord of 10,000 no-op tasks on one fresh
 * redis-server, timed end to end (send to the body's result), tq beside
 * Python Celery 5 (Debian's python3-celery) on the same Redis in the same run.
 * tq: one worker process, async pool; Celery: prefork with 2 (the cores) and
 * 4 children. Each broker and backend is that one Redis.
 */
export async function benchCanvas(): Promise<void> {
  const server = await startRedisServer();
  const rows: Row[] = [];
  try {
    const tq = await tqChord(server.url, 50);
    rows.push({ metric: `tq chord of ${N.toLocaleString('en-US')} (async -c 50)`, value: `${tq} ms` });
    const celery: number[] = [];
    // Not solo: the same chord took 376 s on a solo worker here (prefork: 14 s), too long for a bench run.
    for (const [pool, conc] of [['prefork', '2'], ['prefork', '4']] as const) {
      const ms = celeryChord(server.url.replace(/\/0$/, '/2'), pool, conc);
      celery.push(ms);
      rows.push({ metric: `Celery chord of ${N.toLocaleString('en-US')} (${pool}${pool === 'solo' ? '' : ` -c ${conc}`})`, value: `${ms} ms` });
    }
    const best = Math.min(...celery);
    rows.push({ metric: 'tq vs Celery\'s best', value: `${(best / tq).toFixed(1)}×`, note: 'target ≥ 5×' });
  } finally {
    await server.stop();
  }
  printTable('Canvas: a chord of 10,000 no-op tasks on one Redis, send to body result', rows);
}

async function tqChord(url: string, concurrency: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-canvas-'));
  const client = await createClient({ cwd: dir, brokerUrl: url, events: false });
  const worker = await startWorker(['--broker', url, '-P', 'async', '-c', String(concurrency), '--no-events']);
  try {
    const header = Array.from({ length: N }, (_, i) => signature('noop', [i]));
    const started = performance.now();
    const body = (await chord(header, signature('count')).applyAsync({}, client)) as AsyncResult;
    const value = await body.get({ timeout: 600_000 });
    const ms = Math.round(performance.now() - started);
    if (value !== N) throw new Error(`the chord body saw ${String(value)} results, not ${N}`);
    return ms;
  } finally {
    await worker.stop();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function celeryChord(url: string, pool: string, concurrency: string): number {
  const run = spawnSync('/usr/bin/python3', [CELERY_CHORD, url, String(N), pool, concurrency], { encoding: 'utf8', timeout: 1_500_000 });
  if (run.error || run.status !== 0) {
    throw new Error(`the Celery chord did not run (${run.error?.message ?? run.stderr.trim().slice(-500)}); it needs Debian's python3-celery and python3-redis (apt-get install python3-celery python3-redis)`);
  }
  const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ms: number; value: number };
  if (out.value !== N) throw new Error(`the Celery chord body saw ${out.value} results, not ${N}`);
  return out.ms;
}
