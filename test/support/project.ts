import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '../../src/runtime/client.js';
import { startCli, type RunningCli } from './cli.js';

/**
 * A throw-away tq deployment for one test: its own SQLite broker file (or a
 * given broker URL), workers started as real CLI processes, a client for
 * sending, and cleanup of all of it.
 */
export class TestDeployment {
  readonly dir = mkdtempSync(join(tmpdir(), 'tq-test-'));
  readonly workers: RunningCli[] = [];
  private clients: Client[] = [];

  constructor(readonly brokerUrl = '') {
    if (!brokerUrl) this.brokerUrl = `sqlite://${join(this.dir, 'tq.db')}`;
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  async client(): Promise<Client> {
    const client = await createClient({ brokerUrl: this.brokerUrl, cwd: this.dir });
    this.clients.push(client);
    return client;
  }

  async worker(tasks: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCli> {
    const w = startCli(['worker', '--broker', this.brokerUrl, '--tasks', tasks, ...args], { env });
    this.workers.push(w);
    await w.waitForOutput(/ready\./, 30_000);
    return w;
  }

  async cleanup(): Promise<void> {
    for (const w of this.workers) {
      w.signal('SIGKILL');
      await w.exited;
    }
    await Promise.all(this.clients.map((c) => c.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How many lines of `output` say this task id was received. */
export function receivedCount(output: string, id: string): number {
  return output.split('\n').filter((line) => line.includes(`[${id}] received`)).length;
}
