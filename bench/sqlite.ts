import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTarball, pack } from '../scripts/packed-install.mjs';
import { createClient } from '../src/index.js';
import { BENCH_TASKS, BIN, drained, median, percentile, printTable, rate, startWorker, type Row } from './support.js';

const N_ENQUEUE = 5_000;
const N_DRAIN = 5_000;
const CALL_RUNS = 7;
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The embedded broker: enqueue rate, drain rate per pool, and the wall time of one `tq call`. */
export async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-'));
  const brokerUrl = `sqlite://${join(dir, 'tq.db')}`;
  const rows: Row[] = [];
  const client = await createClient({ brokerUrl, cwd: dir });
  try {
    let t = performance.now();
    for (let i = 0; i < N_ENQUEUE; i++) await client.sendTask('noop', { args: [i] });
    rows.push({ metric: 'enqueue, one at a time', value: rate(N_ENQUEUE, performance.now() - t), note: `${N_ENQUEUE} sendTask calls` });
    await client.broker.purge(['default']);

    t = performance.now();
    for (let i = 0; i < N_ENQUEUE; i += 500) await client.sendMany(Array.from({ length: 500 }, (_, j) => ({ name: 'noop', options: { args: [i + j] } })));
    rows.push({ metric: 'enqueue, bulk (500 per call)', value: rate(N_ENQUEUE, performance.now() - t) });
    await client.broker.purge(['default']);

    for (const [pool, c] of [['solo', 1], ['async', 10], ['async', 50]] as const) {
      await client.sendMany(Array.from({ length: N_DRAIN }, (_, i) => ({ name: 'noop', options: { args: [i] } })));
      const worker = await startWorker(['--broker', brokerUrl, '--pool', pool, '-c', String(c)]);
      const cpuBefore = worker.cpuMs();
      const started = performance.now();
      await drained(client.broker);
      const ms = performance.now() - started;
      // CPU per task moves far less than the wall-clock rate when other work shares the machine.
      const cpuPerTask = Math.round(((worker.cpuMs() - cpuBefore) * 1000) / N_DRAIN);
      rows.push({ metric: `drain ${N_DRAIN} no-op, ${pool} c=${c}`, value: rate(N_DRAIN, ms), note: `worker RSS ${Math.round(worker.rssKb() / 1024)} MiB, worker CPU ${cpuPerTask} µs/task` });
      await worker.stop();
    }

    const idle = await startWorker(['--broker', brokerUrl, '--pool', 'async', '-c', '10']);
    const cpuBefore = idle.cpuMs();
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      const sent = Date.now();
      const started = await (await client.sendTask('stamp')).get({ timeout: 10_000 });
      latencies.push((started as number) - sent);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idleCpu = idle.cpuMs() - cpuBefore;
    await idle.stop();
    rows.push({ metric: 'enqueue → handler start, idle worker', value: `p50 ${median(latencies)} ms`, note: `p99 ${percentile(latencies, 99)} ms, 100 tasks` });
    rows.push({ metric: 'idle worker CPU', value: `${((idleCpu / 5000) * 100).toFixed(1)}%`, note: 'over 5 s with nothing to do (after the latency run)' });

    rows.push(...callWallTimes(brokerUrl));
    printTable('SQLite (embedded broker)', rows);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The wall time of one `tq call` from this clone and from a project that
 * installed tq from its `npm pack` tarball, as a user's would (without
 * oclif.manifest.json in the package it took three times as long). The runs
 * alternate, so a change in the machine's load touches both rows alike.
 */
function callWallTimes(brokerUrl: string): Row[] {
  const base = mkdtempSync(join(tmpdir(), 'tq-bench-pack-'));
  try {
    // `npm run bench` has just built dist/, so packing need not build again.
    const { tarball } = pack(REPO, base, { ignoreScripts: true });
    const app = join(base, 'app');
    const installed = realpathSync(installTarball(app, tarball, REPO, { 'noop.ts': readFileSync(join(BENCH_TASKS, 'noop.ts'), 'utf8') }));
    const runs = {
      clone: { argv: [BIN, 'call', 'noop', '1', '--broker', brokerUrl, '--tasks', BENCH_TASKS], cwd: REPO, walls: [] as number[] },
      installed: { argv: [installed, 'call', 'noop', '1', '--broker', brokerUrl], cwd: app, walls: [] as number[] },
    };
    for (let i = 0; i < CALL_RUNS; i++) {
      for (const run of Object.values(runs)) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, run.argv, { cwd: run.cwd });
        if (r.status !== 0) throw new Error(`tq call failed: ${r.stderr}`);
        run.walls.push(performance.now() - t0);
      }
    }
    const ms = (walls: number[]) => `${Math.round(median(walls))} ms`;
    return [
      { metric: '`tq call` process wall time', value: ms(runs.clone.walls), note: `median of ${CALL_RUNS}, from this clone, name checked against tasks/` },
      { metric: '`tq call` process wall time, installed', value: ms(runs.installed.walls), note: `median of ${CALL_RUNS} (alternating with the row above), from a project that installed the npm pack tarball` },
    ];
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
