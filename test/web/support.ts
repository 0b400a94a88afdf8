import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startCli, type RunningCli } from '../support/cli.js';
import type { TestDeployment } from '../support/project.js';
import { freePort } from '../support/redis-server.js';

export const WEB_TASKS = 'test/fixtures/web-tasks';
export const CHROMIUM = '/usr/bin/chromium';

export interface RunningWeb {
  url: string;
  cli: RunningCli;
  stop(): Promise<void>;
}

/** Starts `tq web` on a free port for a deployment and resolves once it serves. */
export async function startWeb(d: TestDeployment, args: string[] = []): Promise<RunningWeb> {
  const port = await freePort();
  const cli = startCli(['web', '--port', String(port), '--broker', d.brokerUrl, '--tasks', WEB_TASKS, ...args], { env: d.env });
  d.workers.push(cli); // the deployment's cleanup kills it with the workers
  const [, url] = await cli.waitForOutput(/tq web on (http:\/\/\S+)/, 30_000);
  return {
    url: url!,
    cli,
    stop: async () => {
      cli.signal('SIGTERM');
      await cli.exited;
    },
  };
}

/**
 * Debian's Chromium, driven by playwright-core, in a fresh profile. Never
 * downloads a browser: a missing one fails the test with what to install.
 */
export async function openBrowser(options: { httpCredentials?: { username: string; password: string } } = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run installs it); never \`npx playwright install\``);
  }
  const profile = mkdtempSync(join(tmpdir(), 'tq-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  // Chromium may still be writing its profile as it exits: retry the removal, and never fail a test over it.
  context.on('close', () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      // a leftover profile in the temp dir
    }
  });
  return context;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** A session cookie and its CSRF token, as the page gets them from /api/session. */
export async function session(url: string, headers: Record<string, string>): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(new URL('/api/session', url), { headers });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrf } = (await res.json()) as { csrf: string };
  return { cookie, csrf };
}

/** POSTs one action the way the page does, with whatever headers the test gives. */
export function postAction(url: string, name: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(new URL(`/api/actions/${name}`, url), { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
