import { afterEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { redisSetup, sqliteSetup, useDeployments, type TestDeployment } from '../support/project.js';
import { waitFor } from '../support/wait.js';
import { basic, openBrowser, postAction, session, startWeb, WEB_TASKS } from './support.js';

const AUTH = ['--auth', 'admin:pw'];
const CREDENTIALS = { username: 'admin', password: 'pw' };

let contexts: BrowserContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  contexts = [];
});

async function page(url: string, hash: string, httpCredentials = CREDENTIALS): Promise<Page> {
  const context = await openBrowser({ httpCredentials });
  contexts.push(context);
  const p = await context.newPage();
  await p.goto(`${url}${hash}`);
  return p;
}

async function call(d: TestDeployment, ...args: string[]): Promise<string> {
  const r = await d.cli(['call', ...args, '--tasks', WEB_TASKS]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

const stateOf = (p: Page, id: string) => p.locator(`tr[data-task-id="${id}"] [data-state]`).getAttribute('data-state', { timeout: 1000 }).catch(() => null);

describe.each([sqliteSetup(), redisSetup()])('tq web in a browser on $name', (setup) => {
  const deploy = useDeployments(setup);

  it('shows a task sent with tq call as it runs and finishes, without reloading', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '2']);
    const web = await startWeb(d, AUTH);
    const p = await page(web.url, '#/tasks');
    await p.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    await p.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const id = await call(d, 'nap', '2500');
    await waitFor(async () => ['RECEIVED', 'STARTED'].includes((await stateOf(p, id)) ?? ''), 'the task to show as running', 20_000);
    await expect(p.locator(`tr[data-task-id="${id}"] meter`)).toBeDefined();
    await waitFor(async () => (await stateOf(p, id)) === 'SUCCESS', 'the task to show SUCCESS', 20_000);
    expect(await p.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // same page: no reload
    await p.locator(`tr[data-task-id="${id}"] a`).click();
    await p.getByTestId('task-result').filter({ hasText: 'slept 2500' }).waitFor();
    expect(await p.getByTestId('task-args').textContent()).toContain('2500');
  });

  it('ends a running task when it is terminated from the page', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1']);
    const web = await startWeb(d, AUTH);
    const p = await page(web.url, '#/tasks');
    const id = await call(d, 'nap', '120000');
    await waitFor(async () => (await stateOf(p, id)) === 'STARTED', 'the task to run', 20_000);
    await p.getByTestId(`terminate-${id}`).click();
    await p.getByTestId('confirm-dialog').waitFor();
    await p.getByTestId('confirm').click();
    await p.getByTestId('action-status').filter({ hasText: 'terminating' }).waitFor();
    await waitFor(async () => (await stateOf(p, id)) === 'REVOKED', 'the page to show REVOKED', 20_000);
    const result = await d.cli(['result', id, '--json']);
    expect(JSON.parse(result.stdout).state).toBe('REVOKED');
    expect(await call(d, 'add', '2', '3', '--wait')).toBe('5'); // the worker goes on
  });
});

describe('tq web access control, in a browser', () => {
  const deploy = useDeployments(sqliteSetup());

  it('answers a wrong password with 401, and no action happens', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1']);
    const web = await startWeb(d, AUTH);
    const id = await call(d, 'nap', '3000');
    const context = await openBrowser({ httpCredentials: { username: 'admin', password: 'wrong' } });
    contexts.push(context);
    const response = await (await context.newPage()).goto(`${web.url}#/tasks`);
    expect(response?.status()).toBe(401);
    const refused = await postAction(web.url, 'terminate', { id }, { Authorization: basic('admin', 'wrong') });
    expect(refused.status).toBe(401);
    const result = await d.cli(['result', id, '--wait', '--timeout', '30', '--json']);
    expect(JSON.parse(result.stdout).state).toBe('SUCCESS');
  });

  it('hides actions with --read-only and refuses them even when asked directly', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1']);
    const web = await startWeb(d, [...AUTH, '--read-only']);
    const p = await page(web.url, '#/tasks');
    const id = await call(d, 'nap', '3000');
    await waitFor(async () => (await stateOf(p, id)) === 'STARTED', 'the task to run', 20_000);
    expect(await p.getByTestId('actions-off').textContent()).toContain('--read-only');
    expect(await p.locator('button.act').count()).toBe(0);
    await p.goto(`${web.url}#/`);
    await p.getByTestId('workers').waitFor();
    expect(await p.locator('button.act').count()).toBe(0);
    const auth = { Authorization: basic('admin', 'pw') };
    const s = await session(web.url, auth);
    const refused = await postAction(web.url, 'terminate', { id }, { ...auth, Cookie: s.cookie, 'X-TQ-CSRF': s.csrf });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain('read-only');
    const result = await d.cli(['result', id, '--wait', '--timeout', '30', '--json']);
    expect(JSON.parse(result.stdout).state).toBe('SUCCESS');
  });

  it('refuses an action without its CSRF token, with a wrong one, or from another origin', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1']);
    const web = await startWeb(d, AUTH);
    const p = await page(web.url, '#/tasks');
    const id = await call(d, 'nap', '4000');
    await waitFor(async () => (await stateOf(p, id)) === 'STARTED', 'the task to run', 20_000);
    // From the page itself, with the browser's credentials and cookie, but no X-TQ-CSRF header.
    const status = await p.evaluate(async (taskId) => (await fetch('/api/actions/terminate', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: taskId }) })).status, id);
    expect(status).toBe(403);
    const auth = { Authorization: basic('admin', 'pw') };
    const s = await session(web.url, auth);
    expect((await postAction(web.url, 'terminate', { id }, { ...auth, Cookie: s.cookie })).status).toBe(403);
    expect((await postAction(web.url, 'terminate', { id }, { ...auth, Cookie: s.cookie, 'X-TQ-CSRF': `${s.csrf}x` })).status).toBe(403);
    expect((await postAction(web.url, 'terminate', { id }, { ...auth, 'X-TQ-CSRF': s.csrf })).status).toBe(403); // no session cookie
    expect((await postAction(web.url, 'terminate', { id }, { ...auth, Cookie: s.cookie, 'X-TQ-CSRF': s.csrf, Origin: 'http://evil.example' })).status).toBe(403);
    const result = await d.cli(['result', id, '--wait', '--timeout', '30', '--json']);
    expect(JSON.parse(result.stdout).state).toBe('SUCCESS');
  });

  it('is view-only without auth and says how to turn actions on', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1']);
    const web = await startWeb(d);
    const p = await page(web.url, '#/');
    await p.getByTestId('workers').locator('tr[data-worker]').waitFor();
    expect(await p.getByTestId('actions-off').textContent()).toContain('--auth user:password or --token TOKEN');
    expect(await p.locator('button.act').count()).toBe(0);
    const s = await session(web.url, {});
    const refused = await postAction(web.url, 'purge', { queue: 'default' }, { Cookie: s.cookie, 'X-TQ-CSRF': s.csrf });
    expect(refused.status).toBe(403);
  });

  it('shows task-supplied text as text: markup in arguments and errors never runs', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1']);
    const web = await startWeb(d, AUTH);
    const evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const id = await call(d, 'fail', evil);
    const p = await page(web.url, `#/task/${id}`);
    await p.getByTestId('task-error').filter({ hasText: 'TypeError' }).waitFor({ timeout: 20_000 });
    expect(await p.getByTestId('task-error').textContent()).toContain(evil);
    expect(await p.getByTestId('task-args').textContent()).toContain('<img src=x');
    expect(await p.locator('main img, main script').count()).toBe(0);
    expect(await p.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('with --token, asks for the token, then sends it on every request, the live stream included', async () => {
    const d = deploy();
    await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '1']);
    const web = await startWeb(d, ['--token', 'secret-token-1']);
    const context = await openBrowser();
    contexts.push(context);
    const p = await context.newPage();
    await p.goto(`${web.url}#/tasks`);
    await p.getByTestId('token-form').waitFor();
    await p.getByTestId('token-input').fill('secret-token-1');
    await p.getByTestId('token-input').press('Enter');
    await p.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    const id = await call(d, 'add', '1', '2');
    await waitFor(async () => (await stateOf(p, id)) === 'SUCCESS', 'the task to show SUCCESS', 20_000);
    expect((await fetch(new URL('/api/tasks', web.url))).status).toBe(401);
    expect((await fetch(new URL('/api/tasks', web.url), { headers: { Authorization: 'Bearer secret-token-1' } })).status).toBe(200);
  });
});
