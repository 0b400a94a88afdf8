import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const TASKS = 'test/fixtures/beat-e2e/tasks';
const dir = mkdtempSync(join(tmpdir(), 'tq-beat-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, beat: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ beat }));
  return path;
}

describe('tq beat (CLI)', () => {
  it('lists each periodic task with its next 3 run times in its timezone', async () => {
    const config = configFile('list', { nightly: { task: 'record', cron: '30 2 * * *', tz: 'Europe/Berlin', args: ['/dev/null'] } });
    const text = await runCli(['beat', '--list', '--config', config, '--tasks', TASKS, '--broker', `sqlite://${join(dir, 'list.db')}`]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^nightly → record {2}30 2 \* \* \* \(Europe\/Berlin\)$/m);
    expect(text.stdout.match(/^ {2}next \d{4}-\d\d-\d\d 02:30:00 \+0[12]:00$/gm)).toHaveLength(3);
    expect(text.stdout).toMatch(/^heartbeat → heartbeat {2}every 30s$/m);

    const json = await runCli(['beat', '--list', '--json', '--config', config, '--tasks', TASKS]);
    const listing = JSON.parse(json.stdout) as { name: string; next: { at: string }[] }[];
    expect(listing.map((l) => l.name)).toEqual(['nightly', 'heartbeat']);
    expect(listing[0]!.next).toHaveLength(3);
  });

  it.each([
    ['an invalid cron', { nightly: { task: 'record', cron: '0 3 * *' } }, /beat entry 'nightly' has an invalid cron/],
    ['an unknown task', { nightly: { task: 'recrod', every: '5s' } }, /beat entry 'nightly' names an unknown task 'recrod'\nHint: did you mean record\?/],
    ['a bad timezone', { nightly: { task: 'record', cron: '0 3 * * *', tz: 'Berlin' } }, /beat entry 'nightly' has an unknown timezone 'Berlin'/],
    ['both cron and every', { nightly: { task: 'record', cron: '0 3 * * *', every: '1h' } }, /beat entry 'nightly' gives both 'cron' and 'every'/],
  ])('refuses to start with %s, naming the entry, and exits 2', async (_what, beat, message) => {
    const config = configFile(`bad-${_what.replaceAll(' ', '-')}`, beat);
    const result = await runCli(['beat', '--config', config, '--tasks', TASKS, '--broker', `sqlite://${join(dir, 'bad.db')}`]);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a user error: no stack
    expect(result.code).toBe(2);
  });
});
