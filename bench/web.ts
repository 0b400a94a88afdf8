/**
 * `npm run bench -- web`: tq web under a firehose. A producer process appends
 * the events of 10,000 tasks a second (sent, received, started, succeeded:
 * 40,000 events/s, in batches of 500 as workers send them) straight to the
 * broker's stream for 20 s, while two live streams (the overview, and the task
 * list) stay connected. Reported: the server's RSS at start, middle and end
 * (bounded memory), and the lag from an event's time to the first SSE update
 * that includes it, taken on the oldest event of each update (the worst case).
 * `node --import tsx bench/web.ts` runs it alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient } from '../src/index.js';
import type { TqEvent } from '../src/runtime/cluster.js';
import type { WireUpdate } from '../src/runtime/web/wire.js';
import { startRedisServer, freePort } from '../test/support/redis-server.js';
import { BENCH_TASKS, BIN, percentile, printTable, type Row } from './support.js';

const TASKS_PER_SECOND = 10_000;
const SECONDS = 20;
const BATCH_EVENTS = 500;
const SELF = fileURLToPath(import.meta.url);

export async function benchWeb(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-web-'));
  const redis = await startRedisServer();
  try {
    const rows: Row[] = [];
    for (const [name, url, env] of [
      ['sqlite', `sqlite://${join(dir, 'tq.db')}`, {}],
      ['redis', redis.url, { TQ_KEY_PREFIX: 'benchweb:' }],
    ] as const) rows.push(...(await underFirehose(name, url, env)));
    printTable(`tq web under ${TASKS_PER_SECOND.toLocaleString('en-US')} tasks/s of events (${(TASKS_PER_SECOND * 4).toLocaleString('en-US')} events/s) for ${SECONDS} s`, rows);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function underFirehose(name: string, brokerUrl: string, env: Record<string, string>): Promise<Row[]> {
  const port = await freePort();
  const web = spawn(process.execPath, [BIN, 'web', '--port', String(port), '--broker', brokerUrl, '--tasks', BENCH_TASKS], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      web.stdout!.on('data', (d: Buffer) => d.toString().includes('tq web on') && resolve());
      web.on('exit', (code) => reject(new Error(`tq web exited (${code})`)));
    });
    const lags: number[] = [];
    let updates = 0;
    let delivered = 0;
    const stop = new AbortController();
    const streams = ['view=overview', 'view=tasks'].map((q) =>
      follow(`http://127.0.0.1:${port}/api/stream?${q}`, stop.signal, (u, receivedAt) => {
        updates++;
        if (u.events.count === 0 || u.events.oldestAt === null) return;
        delivered += u.events.count;
        lags.push(receivedAt - u.events.oldestAt);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rss: number[] = [rssMiB(web)];
    const cpuBefore = cpuMs(web);
    const loadStart = Date.now();
    const producer = spawn(process.execPath, ['--import', 'tsx', SELF, 'producer', brokerUrl, String(TASKS_PER_SECOND), String(SECONDS)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const sent = new Promise<number>((resolve) => producer.stdout!.on('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await new Promise((resolve) => setTimeout(resolve, (SECONDS / 2) * 1000));
    rss.push(rssMiB(web));
    const events = await sent;
    rss.push(rssMiB(web));
    const cpuShare = (cpuMs(web) - cpuBefore) / (Date.now() - loadStart);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the tail of the stream drains
    stop.abort();
    await Promise.allSettled(streams);
    const ms = (v: number) => `${Math.round(v)} ms`;
    return [
      { metric: `${name}: events appended`, value: events.toLocaleString('en-US'), note: `${Math.round(events / SECONDS).toLocaleString('en-US')}/s reached by the producer` },
      { metric: `${name}: events seen by the streams`, value: delivered.toLocaleString('en-US'), note: `both streams together; ${updates} updates (≤ 4/s each)` },
      { metric: `${name}: server RSS start / middle / end`, value: rss.map((r) => `${r}`).join(' / '), note: 'MiB' },
      { metric: `${name}: server CPU under the load`, value: `${Math.round(cpuShare * 100)}%`, note: 'of one core' },
      { metric: `${name}: event → SSE lag p50 / p99 / max`, value: [percentile(lags, 50), percentile(lags, 99), Math.max(...lags)].map(ms).join(' / '), note: 'oldest event of each update; target: under 1 s' },
    ];
  } finally {
    web.kill('SIGTERM');
    await new Promise((resolve) => web.once('exit', resolve));
  }
}

/** utime + stime from /proc/PID/stat, in ms (100 clock ticks a second on Linux). */
function cpuMs(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMiB(child: ChildProcess): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Reads an SSE stream and hands each update over with the time it arrived. */
async function follow(url: string, signal: AbortSignal, onUpdate: (u: WireUpdate, receivedAt: number) => void): Promise<void> {
  const res = await fetch(url, { signal });
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      const receivedAt = Date.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const data = buffer.slice(0, end).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        buffer = buffer.slice(end + 2);
        if (data) onUpdate(JSON.parse(data) as WireUpdate, receivedAt);
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

/** The producer process: the events of `rate` tasks a second for `seconds`, appended in batches; prints how many. */
async function produce(brokerUrl: string, rate: number, seconds: number): Promise<void> {
  const client = await createClient({ brokerUrl });
  const started = Date.now();
  let tasks = 0;
  let events = 0;
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - tasks;
    const batch: TqEvent[] = [];
    for (let i = 0; i < due; i++) {
      const id = `bench-${tasks++}`;
      const at = new Date().toISOString();
      batch.push(
        { type: 'task-sent', at, taskId: id, task: 'noop', queue: 'default' },
        { type: 'task-received', at, taskId: id, task: 'noop', hostname: 'bench-worker', queue: 'default', data: { args: [tasks], kwargs: {}, retries: 0 } },
        { type: 'task-started', at, taskId: id, task: 'noop', hostname: 'bench-worker', queue: 'default' },
        { type: 'task-succeeded', at, taskId: id, task: 'noop', hostname: 'bench-worker', queue: 'default', data: { runtimeMs: 0.1, result: 'null' } },
      );
    }
    for (let i = 0; i < batch.length; i += BATCH_EVENTS) await client.backend.appendEvents(batch.slice(i, i + BATCH_EVENTS));
    events += batch.length;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await client.close();
  process.stdout.write(`${events}\n`);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv[2] === 'producer') await produce(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  else await benchWeb();
}

