/**
 * Worker memory and start-up (issue 19), on one freshly started redis-server:
 * - tq, BullMQ and bee-queue workers running the same plain-JS task body
 *   (bench/memory/handler.mjs; no tsx in any of them), RSS at idle and after a
 *   c=50 drain, median of alternating rounds;
 * - a tq prefork worker's total memory (main process and its children) at c=2
 *   and c=4, for a JS and a TypeScript task file;
 * - `tq worker` start-up to its "ready." line.
 * RSS is read from /proc by this process, the same way for every library.
 * `npm run bench -- memory` runs it alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createClient, type Client } from '../src/index.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { producer } from './redis.js';
import { median, printTable, type Row } from './support.js';

const LIBS = ['tq', 'bullmq', 'bee-queue'] as const;
type Lib = (typeof LIBS)[number];
const QUEUE = 'bench'; // the queue redis.ts's producers send to
const ROUNDS = Number(process.env.TQ_BENCH_MEMORY_ROUNDS ?? 3);
const N_DRAIN = Number(process.env.TQ_BENCH_DRAIN ?? 20_000);
const N_PREFORK = 2_000;
const STARTS = 5;
/** How long a worker is left alone before its idle RSS is read, and after a drain before that one. */
const SETTLE_MS = 1_500;
/** A second reading after a drain, once V8's memory reducer (which shrinks the heap some seconds after a burst) has had its turn. */
const LATER_MS = 10_000;
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const JS_TASKS = fileURLToPath(new URL('./memory/tasks', import.meta.url));
const TS_TASKS = fileURLToPath(new URL('./memory/tasks-ts', import.meta.url));
const PEER = fileURLToPath(new URL('./memory/peer-worker.mjs', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (kb: number) => (kb / 1024).toFixed(1);
const step = (what: string) => process.stderr.write(`  memory bench: ${what}\n`);

/** A child process whose output (stdout and stderr) can be waited on. */
interface Watched {
  pid: number;
  /** Resolves when the output so far matches; rejects if the process exits first. */
  until(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
}

function watch(args: string[], env: Record<string, string> = {}): Watched {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let exited: number | null | undefined;
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  child.stdout!.on('data', (d) => ((out += d), poke()));
  child.stderr!.on('data', (d) => ((out += d), poke()));
  child.on('exit', (code) => ((exited = code), poke()));
  return {
    pid: child.pid!,
    until: (pattern, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`timed out waiting for ${pattern}:\n${out.slice(-2000)}`))), timeoutMs);
        const check = () => {
          if (pattern.test(out)) return waiters.delete(check), clearTimeout(timer), resolve();
          if (exited !== undefined) return waiters.delete(check), clearTimeout(timer), reject(new Error(`${args.join(' ')} exited (${exited}):\n${out.slice(-2000)}`));
        };
        waiters.add(check);
        check();
      }),
    kill: () =>
      new Promise((resolve) => {
        if (exited !== undefined) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

function status(pid: number, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** The pid and all its descendants. */
function tree(pid: number): number[] {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...kids.flatMap(tree)];
}

/** RSS (shared pages counted in every process) and PSS (shared pages split between them) of a process tree, KiB. */
function treeMemory(pid: number): { processes: number; rssKb: number; pssKb: number } {
  const pids = tree(pid);
  const pss = (p: number) => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  return { processes: pids.length, rssKb: pids.reduce((a, p) => a + status(p, 'VmRSS'), 0), pssKb: pids.reduce((a, p) => a + pss(p), 0) };
}

function tqWorker(url: string, pool: string, concurrency: number, tasks: string, loglevel = 'warn', env: Record<string, string> = {}): Watched {
  return watch([BIN, 'worker', '--broker', url, '--pool', pool, '-c', String(concurrency), '-Q', QUEUE, '-n', 'membench', '--tasks', tasks, '-l', loglevel, '--no-tui'], env);
}

function startLib(lib: Lib, url: string, concurrency: number, env: Record<string, string>): { worker: Watched; ready: RegExp } {
  if (lib === 'tq') return { worker: tqWorker(url, 'async', concurrency, JS_TASKS, 'warn', env), ready: /\[tasks\]/ };
  return { worker: watch([PEER, lib, url, String(concurrency), QUEUE], env), ready: /PEER READY/ };
}

async function fill(lib: Lib, url: string, dir: string, count: number): Promise<void> {
  const p = await producer(lib, url, dir);
  for (let i = 0; i < count; i += 1_000) await p.bulk(Math.min(1_000, count - i));
  await p.close();
}

/** Idle and after-drain RSS (KiB) of one worker of `lib`. */
async function peerRound(lib: Lib, url: string, dir: string): Promise<{ idle: number; drained: number; later: number }> {
  const { worker, ready } = startLib(lib, url, 50, { TQ_BENCH_N: String(N_DRAIN) });
  try {
    await worker.until(ready);
    await sleep(SETTLE_MS);
    const idle = status(worker.pid, 'VmRSS');
    await fill(lib, url, dir, N_DRAIN);
    await worker.until(/MEMBENCH DRAINED/);
    await sleep(SETTLE_MS);
    const drained = status(worker.pid, 'VmRSS');
    await sleep(LATER_MS - SETTLE_MS);
    return { idle, drained, later: status(worker.pid, 'VmRSS') };
  } finally {
    await worker.kill();
  }
}

export async function benchMemory(): Promise<void> {
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-memory-'));
  try {
    const idle = new Map<Lib, number[]>(LIBS.map((l) => [l, []]));
    const drained = new Map<Lib, number[]>(LIBS.map((l) => [l, []]));
    const later = new Map<Lib, number[]>(LIBS.map((l) => [l, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const lib of LIBS) {
        step(`${lib}: idle and c=50 drain, round ${round} of ${ROUNDS}`);
        await admin.flushall();
        const r = await peerRound(lib, server.url, dir);
        idle.get(lib)!.push(r.idle);
        drained.get(lib)!.push(r.drained);
        later.get(lib)!.push(r.later);
      }
    }
    const bare = watch(['-e', 'setInterval(() => {}, 1000); console.log("PEER READY")']);
    await bare.until(/PEER READY/);
    await sleep(SETTLE_MS);
    const bareKb = status(bare.pid, 'VmRSS');
    await bare.kill();
    const row = (metric: string, m: Map<Lib, number[]>) => ({ metric, tq: median(m.get('tq')!), bullmq: median(m.get('bullmq')!), bee: median(m.get('bee-queue')!) });
    printPeers([row('worker RSS at idle (MiB)', idle), row(`worker RSS ${SETTLE_MS / 1000} s after a c=50 drain of ${N_DRAIN.toLocaleString('en-US')} (MiB)`, drained), row(`  and ${LATER_MS / 1000} s after it (MiB)`, later)], bareKb);

    const rows: Row[] = [];
    const client = await createClient({ brokerUrl: server.url, cwd: dir, defaultQueue: QUEUE });
    for (const [label, tasks] of [['JS', JS_TASKS], ['TS', TS_TASKS]] as const) {
      for (const c of [2, 4]) {
        step(`prefork c=${c}, ${label} task file`);
        await admin.flushall();
        const worker = tqWorker(server.url, 'prefork', c, tasks);
        try {
          await worker.until(/\[tasks\]/);
          await sleep(SETTLE_MS);
          const at = treeMemory(worker.pid);
          const mainAtIdle = status(worker.pid, 'VmRSS');
          await fill('tq', server.url, dir, N_PREFORK);
          await untilEmpty(client.broker, [QUEUE]);
          await sleep(SETTLE_MS);
          const after = treeMemory(worker.pid);
          rows.push({ metric: `prefork c=${c}, ${label} task file: idle`, value: `${mib(at.rssKb)} MiB`, note: `${at.processes} processes; PSS ${mib(at.pssKb)} MiB; main process ${mib(mainAtIdle)} MiB` });
          rows.push({ metric: `prefork c=${c}, ${label} task file: after ${N_PREFORK.toLocaleString('en-US')}`, value: `${mib(after.rssKb)} MiB`, note: `PSS ${mib(after.pssKb)} MiB; main process ${mib(status(worker.pid, 'VmRSS'))} MiB` });
        } finally {
          await worker.kill();
        }
      }
    }
    await client.close();
    printTable('tq prefork worker, total RSS of all its processes (PSS: shared pages counted once)', rows);

    const starts: Row[] = [];
    for (const [pool, c, label, tasks] of [['async', 10, 'JS', JS_TASKS], ['async', 10, 'TS', TS_TASKS], ['prefork', 2, 'JS', JS_TASKS], ['prefork', 2, 'TS', TS_TASKS]] as const) {
      step(`start-up, ${pool} c=${c}, ${label}`);
      const times: number[] = [];
      for (let i = 0; i < STARTS; i++) {
        const t = performance.now();
        const worker = tqWorker(server.url, pool, c, tasks, 'info');
        await worker.until(/ ready\./);
        times.push(performance.now() - t);
        await worker.kill();
      }
      starts.push({ metric: `tq worker --pool ${pool} -c ${c}, ${label} task file`, value: `${Math.round(median(times))} ms`, note: `median of ${STARTS}; min ${Math.round(Math.min(...times))}, max ${Math.round(Math.max(...times))}` });
    }
    printTable('tq worker start-up: spawn to its "ready." log line (tasks loaded, pool started, broker connected)', starts);
  } finally {
    admin.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves once `queues` have nothing ready or leased (the prefork rows' drain: its children each count their own share). */
async function untilEmpty(broker: Client['broker'], queues: string[]): Promise<void> {
  for (;;) {
    const stats = await broker.stats(queues);
    if (stats.every((s) => s.ready === 0 && s.leased === 0)) return;
    await sleep(50);
  }
}

function printPeers(rows: { metric: string; tq: number; bullmq: number; bee: number }[], bareKb: number): void {
  console.log(`\nWorker memory: tq vs BullMQ vs bee-queue, same plain-JS task body, no tsx (one redis-server; median of ${ROUNDS} alternating rounds)`);
  const header = ['metric', 'tq', 'BullMQ', 'bee-queue', 'tq/BullMQ', 'tq/bee-queue'];
  const lines = rows.map((r) => [r.metric, mib(r.tq), mib(r.bullmq), mib(r.bee), `${(r.tq / r.bullmq).toFixed(2)}×`, `${(r.tq / r.bee).toFixed(2)}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log('-'.repeat(widths.reduce((a, b) => a + b + 2, 0)));
  for (const l of lines) console.log(line(l));
  console.log(`(for reference: an idle \`node -e\` process: ${mib(bareKb)} MiB)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchMemory();
