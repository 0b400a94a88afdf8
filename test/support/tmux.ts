import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { REPO } from './cli.js';
import { waitFor } from './wait.js';

/**
 * A private tmux server (its own socket, fixed-size detached sessions) in
 * which tests run tq on a real terminal, send it keys and read the screen
 * with capture-pane.
 */
export class Tmux {
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

  /** Everything the session showed, scrollback included, with colours and styles as escape sequences (capture-pane -e). */
  historyWithStyles(session: string): string {
    return this.run('capture-pane', '-e', '-p', '-S', '-', '-t', session);
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

export function requireTmux(): void {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('tmux is required for the TUI end-to-end test and was not found: apt-get install tmux');
}
