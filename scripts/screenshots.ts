/**
 * Takes the README's screenshots of tq web: `npm run build`, then
 * `node --import tsx scripts/screenshots.ts`. Runs a small real cluster (two
 * workers on a fresh SQLite broker, the example app's tasks, a beat schedule),
 * sends work for about half a minute, and photographs each page in Debian's
 * Chromium into docs/screenshots/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createClient } from '../src/index.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO, 'bin/run.js');
const OUT = join(REPO, 'docs/screenshots');
const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) throw new Error(`needs Debian's Chromium at ${CHROMIUM}: apt-get install chromium`);
const dir = mkdtempSync(join(tmpdir(), 'tq-shots-'));
const brokerUrl = `sqlite://${join(dir, 'tq.db')}`;
const config = join(dir, 'tq.config.json');
writeFileSync(config, JSON.stringify({
  beat: {
    nightly_digest: { task: 'send_mail', cron: '0 3 * * *', tz: 'Europe/Berlin', args: ['digest@example.com'] },
    warm_cache: { task: 'add', every: '5m', args: [1, 1] },
    weekly_report: { task: 'send_mail', cron: '30 8 * * 1', tz: 'America/New_York', args: ['reports@example.com'] },
  },
}));
const children: ChildProcess[] = [];
const tq = (args: string[]) => {
  const child = spawn(process.execPath, [BIN, ...args, '--broker', brokerUrl, '--config', config], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
};
const output = (child: ChildProcess, pattern: RegExp) =>
  new Promise<string>((resolve) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d;
      const m = pattern.exec(text);
      if (m) resolve(m[1] ?? m[0]);
    });
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  const ready = [tq(['worker', '--no-tui', '-P', 'async', '-c', '8', '-n', 'mail1@web-1']), tq(['worker', '--no-tui', '-P', 'threads', '-c', '2', '-n', 'cpu1@web-2', '-Q', 'default,reports'])];
  await Promise.all(ready.map((w) => output(w, /ready\./)));
  const web = tq(['web', '--port', '0', '--auth', 'admin:admin']);
  const url = await output(web, /tq web on (http:\/\/\S+)/);
  const client = await createClient({ brokerUrl, cwd: dir });
  for (let round = 0; round < 12; round++) {
    await client.sendMany(Array.from({ length: 10 + ((round * 7) % 25) }, (_, i) => ({ name: 'add', options: { args: [round, i] } })));
    if (round % 3 === 0) await client.sendTask('fail', { args: [`smtp timeout (round ${round})`] });
    if (round % 4 === 1) await client.sendTask('send_mail', { args: [`user${round}@example.com`] });
    await sleep(2500);
  }
  await client.sendTask('resize_image', { args: ['avatars/42.png', { width: 256 }] }); // no such task: dead-lettered
  await client.sendTask('add', { args: [2, 3], countdown: 3600 });
  const running = await client.sendTask('send_mail', { args: ['ada@example.com'] });
  await client.sendMany(['grace', 'alan', 'edsger'].map((n) => ({ name: 'send_mail', options: { args: [`${n}@example.com`] } })));
  const failed = await client.sendTask('fail', { args: ['mailbox full: 552 5.2.2'] });
  await sleep(500);

  mkdirSync(OUT, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'tq-shots-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1200, height: 680 },
    httpCredentials: { username: 'admin', password: 'admin' },
  });
  const page = await context.newPage();
  const shot = async (name: string, hash: string, ready: string) => {
    await page.goto(`${url}${hash}`);
    await page.getByTestId(ready).waitFor();
    await sleep(1000);
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    console.log(`docs/screenshots/${name}.png`);
  };
  await shot('task-running', `#/task/${running.id}`, 'task-detail'); // first: it runs for 5 s
  await shot('overview', '#/', 'overview');
  await shot('tasks', '#/tasks', 'task-list');
  await shot('task-detail', `#/task/${failed.id}`, 'task-error');
  await shot('dead-letters', '#/dead', 'dead-letters');
  await shot('schedule', '#/schedule', 'schedule');
  await context.close();
  rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  await client.close();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  rmSync(dir, { recursive: true, force: true });
}
