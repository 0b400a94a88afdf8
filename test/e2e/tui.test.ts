import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/runtime/client.js';
import { BIN, REPO } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const TASKS = join(REPO, 'test/fixtures/tui-tasks');

/**
 * The live views as a user sees them: `tq worker` and `tq top` run in a
 * private tmux server (its own socket, fixed-size detached sessions), keys are
 * sent to them and the screen is read with capture-pane.
 */
class Tmux {
  readonly socket = `tq-tui-${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  run(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { env: this.env, encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** A detached session running `sh` in the repository, 120×32. */
  session(name: string): void {
    this.run('new-session', '-d', '-s', name, '-x', '120', '-y', '32', '-c', REPO, 'sh');
  }

  type(session: string, text: string): void {
    this.run('send-keys', '-t', session, '-l', text);
  }

  key(session: string, key: string): void {
    this.run('send-keys', '-t', session, key);
  }

  screen(session: string): string {
    return this.run('capture-pane', '-p', '-t', session);
  }

  async until(session: string, test: RegExp, timeoutMs = 15_000): Promise<string> {
    try {
      await waitFor(() => test.test(this.screen(session)), `${session} to show ${test}`, timeoutMs, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- ${session} ---\n${this.screen(session)}`);
    }
    return this.screen(session);
  }

  /** Stops this test's tmux server only (its socket), and with it the shells and processes it started. */
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { env: this.env });
  }
}

function requireTmux(): void {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('tmux is required for the TUI end-to-end test and was not found: apt-get install tmux');
}

describe('the live terminal UI, in tmux', () => {
  let dir: string;
  let tmux: Tmux;
  let client: Client;
  let brokerUrl: string;

  beforeAll(async () => {
    requireTmux();
    dir = mkdtempSync(join(tmpdir(), 'tq-tui-'));
    brokerUrl = `sqlite://${join(dir, 'tq.db')}`;
    // Never inherit a broker or config the developer exported; no CI flag (the worker is given --tui anyway).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TQ_') && k !== 'CI' && k !== 'TMUX'));
    tmux = new Tmux({ ...env, NO_COLOR: '1', TERM: 'xterm-256color' });
    client = await createClient({ brokerUrl, cwd: dir });
  });

  afterAll(async () => {
    tmux?.kill();
    await client?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows a running task in the worker dashboard and in tq top; r y revokes, t y terminates; q exits 0 and restores the screen', async () => {
    tmux.session('worker');
    tmux.type('worker', `node ${BIN} worker --tui -P async -c 1 -n tui-w1 --broker ${brokerUrl} --tasks ${TASKS}; echo WORKER-EXIT=$?`);
    tmux.key('worker', 'Enter');
    await tmux.until('worker', /tq \S+ · tui-w1 {2}up/);
    await tmux.until('worker', /\(idle: waiting for tasks\)/);

    const running = await client.sendTask('nap', { args: [120_000] });
    const queued = await client.sendTask('nap', { args: [120_000] });
    await waitFor(async () => (await running.state()) === 'STARTED', 'the first nap to start', 15_000);
    const dashboard = await tmux.until('worker', new RegExp(`${running.id.slice(0, 8)} nap\\s+\\[120000\\]`), 1000);
    expect(dashboard).toMatch(/running 1/);
    await tmux.until('worker', /napping/, 30_000); // the progress bar, once the task reports progress

    tmux.session('top');
    tmux.type('top', `node ${BIN} top --broker ${brokerUrl}; echo TOP-EXIT=$?`);
    tmux.key('top', 'Enter');
    await tmux.until('top', /WORKERS 1\/1 online/);
    await tmux.until('top', new RegExp(`STARTED\\s+nap\\s+${running.id.slice(0, 8)} tui-w1`), 1000);
    await tmux.until('top', new RegExp(`PENDING\\s+nap\\s+${queued.id.slice(0, 8)}`));

    // r, then y: the queued nap is revoked (removed from its queue) and shows REVOKED.
    tmux.type('top', '/');
    tmux.type('top', queued.id.slice(0, 8));
    tmux.key('top', 'Enter');
    await tmux.until('top', new RegExp(`› PENDING\\s+nap\\s+${queued.id.slice(0, 8)}`));
    tmux.type('top', 'r');
    await tmux.until('top', new RegExp(`Revoke nap\\[${queued.id}\\]\\? \\(y/n\\)`));
    tmux.type('top', 'y');
    await tmux.until('top', new RegExp(`REVOKED\\s+nap\\s+${queued.id.slice(0, 8)}`));
    expect(await queued.state()).toBe('REVOKED');

    // t, then y: the running nap is ended and shows REVOKED, in tq top and in the worker's log.
    tmux.key('top', 'Escape');
    // Wait for Escape to clear the filter first: an ESC and a '/' read together parse as Alt+/.
    await tmux.until('top', /^(?![\s\S]*matching ")/);
    tmux.type('top', '/');
    tmux.type('top', running.id.slice(0, 8));
    tmux.key('top', 'Enter');
    await tmux.until('top', new RegExp(`› STARTED\\s+nap\\s+${running.id.slice(0, 8)}`));
    tmux.type('top', 't');
    await tmux.until('top', /Terminate nap\[.*\]\? \(y\/n\)/);
    tmux.type('top', 'y');
    await tmux.until('top', new RegExp(`REVOKED\\s+nap\\s+${running.id.slice(0, 8)}`));
    await tmux.until('worker', new RegExp(`REVOKED\\s+nap\\[${running.id.slice(0, 8)}\\]`));

    // q: top exits 0 and the shell's screen is back as it was, with nothing of the TUI left.
    tmux.type('top', 'q');
    const after = await tmux.until('top', /TOP-EXIT=\d+/);
    expect(after).toContain('TOP-EXIT=0');
    expect(after).toContain(`node ${BIN} top --broker`); // the command line typed before, back on screen
    expect(after).not.toMatch(/WORKERS|QUEUES|STATE\s+TASK/);

    // Ctrl-C stops the worker warmly; the last frame stays on screen.
    tmux.key('worker', 'C-c');
    const stopped = await tmux.until('worker', /WORKER-EXIT=\d+/);
    expect(stopped).toContain('WORKER-EXIT=0');
  });
});
