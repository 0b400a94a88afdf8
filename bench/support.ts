import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
export const BENCH_TASKS = fileURLToPath(new URL('./tasks', import.meta.url));

export interface Row {
  metric: string;
  value: string;
  note?: string;
}

export function printTable(title: string, rows: Row[]): void {
  const w0 = Math.max(6, ...rows.map((r) => r.metric.length));
  const w1 = Math.max(5, ...rows.map((r) => r.value.length));
  console.log(`\n${title}\n${'metric'.padEnd(w0)}  ${'value'.padStart(w1)}  note\n${'-'.repeat(w0 + w1 + 10)}`);
  for (const r of rows) console.log(`${r.metric.padEnd(w0)}  ${r.value.padStart(w1)}  ${r.note ?? ''}`);
}

export const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Starts `tq worker` as its own process and resolves once it says it is ready. */
export async function startWorker(args: string[], env: Record<string, string> = {}): Promise<{ stop(): Promise<void>; rssKb(): number; cpuMs(): number }> {
  const child = spawn(process.execPath, [BIN, 'worker', '--tasks', BENCH_TASKS, '-l', 'warn', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('[tasks]')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
  // The banner is printed just before the worker starts fetching.
  return {
    // utime + stime from /proc/PID/stat, in clock ticks (100 per second on Linux).
    cpuMs: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(spawnSync('cat', [`/proc/${child.pid}/status`]).stdout.toString())?.[1] ?? 0),
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Resolves once the default queue has nothing ready, leased or scheduled. */
export async function drained(broker: { stats(queues?: readonly string[]): Promise<{ ready: number; leased: number; scheduled: number }[]> }): Promise<void> {
  for (;;) {
    const [s] = await broker.stats(['default']);
    if (!s || (s.ready === 0 && s.leased === 0 && s.scheduled === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
