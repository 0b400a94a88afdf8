import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pastEtaWarning } from '../../src/runtime/call.js';
import { createClient, DuplicateTaskIdError } from '../../src/runtime/client.js';
import { TqError } from '../../src/runtime/errors.js';

/** What a send checks against the clock and the broker: expiry, eta, ids in use. */
describe('sending from code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-send-'));
  const client = await createClient({ cwd: dir, brokerUrl: `sqlite://${join(dir, 'tq.db')}` });
  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an expiry that has passed (the task could never run), and sends nothing', async () => {
    await expect(client.sendTask('add', { expires: new Date(Date.now() - 1000) })).rejects.toThrow(/expires .* is not in the future: the task could never run/);
    await expect(client.sendTask('add', { expires: '2020-01-01T00:00:00Z' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(client.sendMany([{ name: 'add' }, { name: 'add', options: { expires: new Date(0) } }])).rejects.toThrow(/could never run/);
    expect(await client.broker.stats(['default'])).toEqual([expect.objectContaining({ ready: 0, scheduled: 0 })]);
    expect(await client.sendTask('add', { expires: 60 })).toBeDefined();
  });

  it('refuses a name that breaks the naming rule, as sendTask is called from code', async () => {
    await expect(client.sendTask('rm -rf', {})).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/not a valid task name/) });
  });

  it('says an eta in the past runs at once, and says nothing of a future one', () => {
    expect(pastEtaWarning('2020-01-01T00:00:00Z')).toBe('eta 2020-01-01T00:00:00.000Z is in the past: the task runs at once');
    expect(pastEtaWarning(new Date(Date.now() + 60_000).toISOString())).toBeUndefined();
    expect(pastEtaWarning(undefined)).toBeUndefined();
  });

  it('refuses a single send whose id is in use, and names the ids of a bulk that were not sent beside the handles of those that were', async () => {
    const first = await client.sendTask('add', { taskId: 'taken-1' });
    const again = await client.sendTask('add', { taskId: 'taken-1', args: [5, 5] }).catch((err: unknown) => err);
    expect(again).toBeInstanceOf(TqError);
    expect(again).toMatchObject({ code: 'DUPLICATE_ID', ids: ['taken-1'], sent: [] });
    const bulk = await client.sendMany([{ name: 'add', options: { taskId: 'fresh-1' } }, { name: 'add', options: { taskId: first.id, args: [1] } }, { name: 'add', options: { taskId: 'fresh-1' } }]).catch((err: unknown) => err);
    expect(bulk).toBeInstanceOf(DuplicateTaskIdError);
    const { ids, sent } = bulk as DuplicateTaskIdError;
    expect(ids).toEqual([first.id, 'fresh-1']);
    expect(sent.map((r) => r.id)).toEqual(['fresh-1']);
    expect((await client.backend.getResult('fresh-1'))?.state).toBe('PENDING');
  });
});
