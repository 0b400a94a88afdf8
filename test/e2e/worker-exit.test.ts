import { describe, expect, it } from 'vitest';
import { sqliteSetup, useDeployments } from '../support/project.js';

const TASKS = 'test/fixtures/open-handle-tasks';

/** A warm stop ends the process even when task code left handles open (a client, a pool, a timer). */
describe('a worker whose tasks leave handles open', () => {
  const deploy = useDeployments(sqliteSetup());

  it.each(['async', 'solo'])('exits 0 after a warm stop in the %s pool', async (pool) => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', pool]);
    const client = await d.client();
    expect(await (await client.sendTask('hold_open')).get({ timeout: 30_000 })).toBe('holding');
    w.signal('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/worker stopped/);
  });
});
