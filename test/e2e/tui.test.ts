import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/runtime/client.js';
import { BIN, REPO } from '../support/cli.js';
import { requireTmux, Tmux } from '../support/tmux.js';
import { waitFor } from '../support/wait.js';

const TASKS = join(REPO, 'test/fixtures/tui-tasks');

/**
 * The live views as a user sees them: `tq worker` and `tq top` run in a
 * private tmux server (test/support/tmux.ts), keys are sent to them and the
 * screen is read with capture-pane.
 */
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

  it('shows the start-up banner above the worker dashboard, a running task in it and in tq top; r y revokes, t y terminates; q exits 0 and restores the screen', async () => {
    tmux.session('worker');
    tmux.type('worker', `node ${BIN} worker --tui -P async -c 1 -n tui-w1 --broker ${brokerUrl} --tasks ${TASKS}; echo WORKER-EXIT=$?`);
    tmux.key('worker', 'Enter');
    await tmux.until('worker', /tq \S+ · tui-w1 {2}up/);
    const idle = await tmux.until('worker', /\(idle: waiting for tasks\)/);
    // The start-up banner stays above the dashboard, as in the plain log.
    expect(idle).toMatch(/ tq \S+ · tui-w1\n ─+\n {2}\.> broker {5}sqlite:\/\/[\s\S]*\.> pool {7}async \(concurrency: 1\)[\s\S]*\[tasks\]\n {2}\. nap\n {2}\. noop\n/);

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
