import { request } from 'node:http';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { sqliteSetup, useDeployments } from '../support/project.js';
import { freePort } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { startWeb, WEB_TASKS } from './support.js';

describe('tq web start-up', () => {
  it.each([
    [['--host', '0.0.0.0'], /refusing to serve tq web on 0\.0\.0\.0 without authentication/],
    [['--host', '192.168.1.10'], /without authentication/],
    [['--auth', 'nocolon'], /--auth takes 'user:password'/],
    [['--token', 'short'], /at least 8 characters/],
  ])('refuses %j with a clear message and exit code 2', async (args, message) => {
    const r = await runCli(['web', ...args, '--broker', 'sqlite:///nonexistent/never-opened.db']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a user error: no stack
  });

  it('refuses --auth together with --token', async () => {
    const r = await runCli(['web', '--auth', 'a:b', '--token', 'abcdefgh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--token|--auth/);
  });
});

describe('tq web serving', () => {
  const deploy = useDeployments(sqliteSetup());

  it('says so when its port is taken', async () => {
    const d = deploy();
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    try {
      const r = await d.cli(['web', '--port', String(port), '--tasks', WEB_TASKS]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`port ${port} is in use`));
    } finally {
      blocker.close();
    }
  });

  it('keeps the task list and the charts across a restart of tq web, and finds tasks by their stored result', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '2']);
    const client = await d.client();
    const done = await Promise.all([1, 2, 3].map((i) => client.sendTask('add', { args: [i, i] })));
    const failed = await client.sendTask('fail', { args: ['boom'] });
    for (const r of done) await r.get({ timeout: 30_000 });
    await waitFor(async () => (await failed.state()) === 'FAILURE', 'the failure', 30_000);

    const first = await startWeb(d);
    await first.stop();
    const web = await startWeb(d);
    const tasks = await waitFor(async () => {
      const list = (await (await fetch(new URL('/api/tasks', web.url))).json()) as { rows: { id: string; state: string }[] };
      return list.rows.length >= 4 ? list.rows : null;
    }, 'the replayed task list');
    expect(Object.fromEntries(tasks.map((t) => [t.id, t.state]))).toMatchObject({ ...Object.fromEntries(done.map((r) => [r.id, 'SUCCESS'])), [failed.id]: 'FAILURE' });
    const overview = (await (await fetch(new URL('/api/overview', web.url))).json()) as { series: { succeeded: number[]; failed: number[] } };
    expect(overview.series.succeeded.reduce((a, b) => a + b, 0)).toBe(3);
    expect(overview.series.failed.reduce((a, b) => a + b, 0)).toBe(1);

    // A worker that sends no events leaves only task-sent in the stream: the finished state and value come from the stored result.
    const quiet = await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1', '-n', 'quiet', '-Q', 'quiet', '--no-events']);
    const silent = await client.sendTask('add', { args: [20, 22], queue: 'quiet' });
    expect(await silent.get({ timeout: 30_000 })).toBe(42);
    quiet.signal('SIGKILL');
    const detail = (await (await fetch(new URL(`/api/tasks/${silent.id}`, web.url))).json()) as { state: string; result: unknown; source: string };
    expect(detail).toMatchObject({ state: 'SUCCESS', result: 42 });
    expect(['result', 'both']).toContain(detail.source); // 'both' once tq web has folded in the task-sent event
    const unknown = await fetch(new URL('/api/tasks/no-such-task', web.url));
    expect(unknown.status).toBe(404);
  });

  it('without auth, turns away requests addressed to another host name (DNS rebinding)', async () => {
    const d = deploy();
    const web = await startWeb(d);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(new URL('/api/overview', web.url), { headers: { Host: host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('evil.example:5555')).toBe(403);
    expect(await status(`localhost:${new URL(web.url).port}`)).toBe(200);
  });

  it('forgets a live stream when its browser goes away (70 streams opened and dropped; the hub holds 64)', async () => {
    const d = deploy();
    const web = await startWeb(d);
    const openOne = async () => {
      const stop = new AbortController();
      const res = await fetch(new URL('/api/stream?view=overview', web.url), { signal: stop.signal });
      stop.abort();
      return res.status;
    };
    for (let i = 0; i < 70; i++) await openOne();
    await waitFor(async () => (await openOne()) === 200, 'a stream to be accepted after 70 were dropped');
  });

  it('sets a strict Content-Security-Policy and serves the bundled page', async () => {
    const d = deploy();
    const web = await startWeb(d);
    const res = await fetch(web.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toContain('src="/assets/app.js"');
    expect(html).not.toMatch(/<script>[^<]/); // no inline script
    const js = await fetch(new URL('/assets/app.js', web.url));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  });
});
