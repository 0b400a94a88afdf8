import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '../src/index.js';
import { BENCH_TASKS, BIN, median, printTable, rate, type Row } from './support.js';

const N = 5_000;
const ROUNDS = 3;

/**
 * What the worker dashboard costs: drain N no-op tasks with the dashboard
 * drawing into a real pseudo-terminal (a detached tmux session) versus the
 * same worker in the same terminal with --no-tui (plain lines, at warn level
 * so neither prints a line per task). Rounds alternate, medians compared.
 */
export async function benchTui(): Promise<void> {
  if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('bench/tui.ts needs tmux: apt-get install tmux');
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-tui-'));
  const socket = `tq-bench-tui-${process.pid}-${randomUUID().slice(0, 8)}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
  const brokerUrl = `sqlite://${join(dir, 'tq.db')}`;
  const client = await createClient({ brokerUrl, cwd: dir });
  const times: Record<'tui' | 'plain', number[]> = { tui: [], plain: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['tui', 'plain'] as const) {
        const name = `bench-${mode}-${round}`;
        const flag = mode === 'tui' ? '--tui' : '--no-tui';
        const command = `node ${BIN} worker ${flag} -l warn -P async -c 10 -n ${name} --broker ${brokerUrl} --tasks ${BENCH_TASKS}`;
        tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '40', command);
        await online(client, name);
        const started = performance.now();
        await client.sendMany(Array.from({ length: N }, (_, i) => ({ name: 'noop', options: { args: [i] } })));
        await drained(client);
        times[mode].push(performance.now() - started);
        tmux('send-keys', '-t', name, 'C-c');
        await offline(client, name);
      }
    }
    const tui = median(times.tui);
    const plain = median(times.plain);
    const rows: Row[] = [
      { metric: `drain ${N} no-op, async c=10, --no-tui`, value: rate(N, plain), note: `median of ${ROUNDS}, in a tmux pty` },
      { metric: `drain ${N} no-op, async c=10, dashboard`, value: rate(N, tui), note: `median of ${ROUNDS}, in a tmux pty` },
      { metric: 'dashboard throughput cost', value: `${(((tui - plain) / plain) * 100).toFixed(1)}%`, note: 'target: under 5%' },
    ];
    printTable('Worker dashboard (TUI) cost', rows);
  } finally {
    tmux('kill-server');
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function online(client: Client, hostname: string): Promise<void> {
  await until(async () => (await client.backend.listHeartbeats()).some((hb) => hb.hostname === hostname && hb.state === 'online'), `${hostname} online`);
}

async function offline(client: Client, hostname: string): Promise<void> {
  await until(async () => (await client.backend.listHeartbeats()).some((hb) => hb.hostname === hostname && hb.state === 'offline'), `${hostname} offline`);
}

async function drained(client: Client): Promise<void> {
  await until(async () => {
    const [s] = await client.broker.stats(['default']);
    return !s || (s.ready === 0 && s.leased === 0 && s.scheduled === 0);
  }, 'the queue to drain', 10);
}

async function until(check: () => Promise<boolean>, what: string, everyMs = 50, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTui();
