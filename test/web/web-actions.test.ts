import { describe, expect, it } from 'vitest';
import { sqliteSetup, useDeployments } from '../support/project.js';
import { waitFor } from '../support/wait.js';
import { basic, openBrowser, postAction, session, startWeb, WEB_TASKS } from './support.js';

/** Every action of the page, as the page sends it (session cookie, CSRF header), and what it did to the cluster. */
describe('tq web actions', () => {
  const deploy = useDeployments(sqliteSetup());

  it('revokes, retries, purges, requeues dead letters, resizes a pool and sets a rate limit', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1', '-n', 'w1']);
    const web = await startWeb(d, ['--auth', 'admin:pw']);
    const auth = { Authorization: basic('admin', 'pw') };
    const s = await session(web.url, auth);
    const act = async (name: string, body: unknown) => {
      const res = await postAction(web.url, name, body, { ...auth, Cookie: s.cookie, 'X-TQ-CSRF': s.csrf });
      const json = (await res.json()) as { ok: boolean; message: string };
      return { status: res.status, ...json };
    };
    const client = await d.client();

    const queued = await client.sendTask('add', { args: [1, 1], queue: 'idle' });
    expect(await act('revoke', { id: queued.id })).toMatchObject({ status: 200, ok: true, message: expect.stringContaining('removed from its queue') });
    expect(await queued.state()).toBe('REVOKED');

    const failed = await client.sendTask('fail', { args: ['once'] });
    await waitFor(async () => (await failed.state()) === 'FAILURE', 'the failure', 30_000);
    await waitFor(async () => ((await (await fetch(new URL(`/api/tasks/${failed.id}`, web.url), { headers: auth })).json()) as { args: unknown }).args, 'tq web to see its arguments');
    const retried = await act('retry', { id: failed.id });
    expect(retried).toMatchObject({ status: 200, ok: true, message: expect.stringMatching(/^sent fail again as /) });

    await client.sendMany([1, 2, 3].map((i) => ({ name: 'add', options: { args: [i, i], queue: 'idle' } })));
    expect(await act('purge', { queue: 'idle' })).toMatchObject({ ok: true, message: 'purged 3 waiting message(s) from idle' });

    const doomed = await client.sendTask('doomed');
    await waitFor(async () => (await client.broker.stats(['default']))[0]?.dead === 1, 'a dead letter', 30_000);
    expect(await act('requeue-dead', { ids: [doomed.id] })).toMatchObject({ ok: true, message: 're-queued 1 dead letter(s)' });

    expect(await act('pool-grow', { worker: 'w1', n: 2 })).toMatchObject({ ok: true, message: 'w1: ok {"size":3}' });
    expect(await act('pool-shrink', { worker: 'w1', n: 1 })).toMatchObject({ ok: true, message: 'w1: ok {"size":2}' });
    expect(await act('rate-limit', { task: 'add', rate: '10/s' })).toMatchObject({ ok: true, message: 'w1: ok {"task":"add","rate":"10/s"}' });
    // Refused before anything is sent, by the rule the worker applies.
    expect(await act('rate-limit', { task: 'add', rate: 'fast' })).toMatchObject({ status: 400, ok: false, message: expect.stringContaining("invalid rate limit 'fast'") });

    expect(await act('pool-grow', { worker: 'w1', n: 0 })).toMatchObject({ status: 400, ok: false });
    expect(await act('revoke', {})).toMatchObject({ status: 400, ok: false, message: "'id' must be a non-empty string of at most 500 characters" });
    expect(await act('shutdown', {})).toMatchObject({ status: 404, ok: false });
    const notJson = await postAction(web.url, 'purge', 'x', { ...auth, Cookie: s.cookie, 'X-TQ-CSRF': s.csrf, 'Content-Type': 'text/plain' });
    expect(notJson.status).toBe(415);
  });

  it('asks before an action, with the figures it needs, and reports what it did', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1', '-n', 'w1']);
    const web = await startWeb(d, ['--auth', 'admin:pw']);
    const context = await openBrowser({ httpCredentials: { username: 'admin', password: 'pw' } });
    try {
      const p = await context.newPage();
      await p.goto(`${web.url}#/`);
      const row = p.locator('tr[data-worker="w1"]');
      await row.waitFor();
      await p.getByTestId('grow-w1').click();
      await p.getByTestId('confirm-dialog').waitFor();
      await p.getByRole('button', { name: 'Cancel' }).click(); // nothing happens without the confirmation
      expect(await p.getByTestId('confirm-dialog').count()).toBe(0);
      await p.getByTestId('grow-w1').click();
      await p.getByTestId('field-n').fill('3');
      await p.getByTestId('confirm').click();
      await p.getByTestId('action-status').filter({ hasText: '{"size":4}' }).waitFor();
      await waitFor(async () => (await row.locator('td').nth(3).textContent()) === '4', 'the new pool size in the workers table', 15_000);
    } finally {
      await context.close();
    }
  });
});
