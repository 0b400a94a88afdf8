import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO } from '../support/cli.js';
import { requireTmux, Tmux } from '../support/tmux.js';

const TASKS = join(REPO, 'test/fixtures/tui-tasks');

/**
 * Colour is decided by one rule (wantsColor): a terminal, no NO_COLOR, no CI.
 * A CI runner may give the process a pty, so this runs every command on a
 * real terminal (tmux) and reads the screen with its styles (capture-pane -e).
 */
describe('colours on a terminal', () => {
  let dir: string;
  let tmux: Tmux;
  let broker: string;

  beforeAll(() => {
    requireTmux();
    dir = mkdtempSync(join(tmpdir(), 'tq-colour-'));
    broker = `sqlite://${join(dir, 'tq.db')}`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TQ_') && !['CI', 'TMUX', 'NO_COLOR', 'FORCE_COLOR'].includes(k)));
    tmux = new Tmux({ ...env, TERM: 'xterm-256color' });
  });

  afterAll(() => {
    tmux?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a worker until it ran one task, then the other commands, in a shell with `env` set; returns all they showed, with its styles. */
  async function runAll(session: string, env: string): Promise<string> {
    tmux.session(session);
    const tq = `${env} node ${BIN}`;
    const flags = `--broker ${broker} --tasks ${TASKS}`;
    const id = `${session}-0000-0000-0000-000000000000`;
    tmux.type(session, `${tq} call noop 1 --task-id ${id} ${flags} && ${tq} worker -P solo --no-tui -n ${session}-w ${flags}`);
    tmux.key(session, 'Enter');
    await tmux.until(session, new RegExp(`noop\\[${id}\\] succeeded`), 30_000);
    tmux.key(session, 'C-c');
    await tmux.until(session, /worker stopped/);
    const rest = ['call noop 2', `result ${id}`, 'inspect queues', 'status', 'top --once', 'events --from 0 --no-follow', 'call nosuch'];
    tmux.type(session, `${rest.map((r) => `${tq} ${r} ${flags}`).join('; ')}; echo ALL-DONE`);
    tmux.key(session, 'Enter');
    await tmux.until(session, /^ALL-DONE/m, 30_000);
    return tmux.historyWithStyles(session);
  }

  it('uses none under CI, even with FORCE_COLOR, and some on a plain terminal', async () => {
    const plain = await runAll('tty', 'env');
    expect(plain).toMatch(/\x1b\[[0-9;]*m/); // the check below can see colours when there are some
    const ci = await runAll('ci', 'env CI=true FORCE_COLOR=1');
    expect(ci).toContain('unknown task'); // every command ran
    expect(ci).toContain('task-succeeded');
    expect(ci).not.toContain('\x1b[');
  });
});
