import { describe, expect, it } from 'vitest';
import { collectSchedule } from '../../src/runtime/beat/entries.js';
import type { BeatEntrySpec } from '../../src/runtime/config.js';
import { TqError } from '../../src/runtime/errors.js';
import { configWith, registryOf } from './support.js';

async function collect(beat: Record<string, unknown>, tasks: Parameters<typeof registryOf>[0] = ['count_signups', 'ping']) {
  const config = await configWith(beat as Record<string, BeatEntrySpec>);
  return collectSchedule(config, registryOf(tasks));
}

async function rejection(beat: Record<string, unknown>, tasks?: Parameters<typeof registryOf>[0]): Promise<TqError> {
  try {
    await collect(beat, tasks);
  } catch (err) {
    expect(err).toBeInstanceOf(TqError);
    expect((err as TqError).code).toBe('CONFIG');
    return err as TqError;
  }
  throw new Error('expected collectSchedule to throw');
}

describe('collectSchedule', () => {
  it('resolves config entries with their defaults', async () => {
    const [entry] = await collect({ nightly: { task: 'count_signups', cron: '0 3 * * *', tz: 'Europe/Berlin' } });
    expect(entry).toMatchObject({ name: 'nightly', task: 'count_signups', source: 'config', queue: 'default', priority: 4, catchUp: 'latest', expiresMs: null, args: [], kwargs: {} });
    expect(entry!.schedule).toMatchObject({ kind: 'cron', text: '0 3 * * *', tz: 'Europe/Berlin' });
  });

  it("adds tasks declared with a schedule, named after the task, with the task's queue and priority", async () => {
    const entries = await collect({}, { ping: { schedule: { every: '30s' }, queue: 'pings', priority: 1 }, other: {} });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ name: 'ping', task: 'ping', source: 'task', queue: 'pings', priority: 1 });
    expect(entries[0]!.schedule).toMatchObject({ kind: 'every', intervalMs: 30_000, tz: 'UTC' });
  });

  it('uses the default timezone unless the entry gives one', async () => {
    const config = await configWith({ a: { task: 'ping', cron: '0 3 * * *' } }, { beatTimezone: 'Asia/Tokyo' });
    expect(collectSchedule(config, registryOf(['ping']))[0]!.schedule.tz).toBe('Asia/Tokyo');
  });

  it.each([
    ['an invalid cron', { task: 'ping', cron: '61 * * * *' }, /beat entry 'e' has an invalid cron '61 \* \* \* \*'/],
    ['a cron with 4 fields', { task: 'ping', cron: '* * * *' }, /beat entry 'e' has an invalid cron .*expected 5 fields/],
    ['a cron with 7 fields', { task: 'ping', cron: '* * * * * * *' }, /beat entry 'e' has an invalid cron/],
    ['an empty cron', { task: 'ping', cron: ' ' }, /beat entry 'e' has an invalid cron/],
    ['a date that never comes', { task: 'ping', cron: '0 0 30 2 *' }, /beat entry 'e' has an invalid cron/],
    ['both cron and every', { task: 'ping', cron: '* * * * *', every: '5s' }, /beat entry 'e' gives both 'cron' and 'every'/],
    ['neither cron nor every', { task: 'ping' }, /beat entry 'e' needs 'cron' or 'every'/],
    ['a bad timezone', { task: 'ping', cron: '0 3 * * *', tz: 'Mars/Olympus' }, /beat entry 'e' has an unknown timezone 'Mars\/Olympus'/],
    ['a bad interval', { task: 'ping', every: 'often' }, /beat entry 'e' has a bad interval "often"/],
    ['a zero interval', { task: 'ping', every: 0 }, /beat entry 'e' has a bad interval 0/],
    ['a sub-second interval', { task: 'ping', every: '10ms' }, /beat entry 'e' has a bad interval "10ms"/],
    ['a bad expires', { task: 'ping', every: '5s', expires: 'later' }, /beat entry 'e' has a bad 'expires'/],
    ['a bad catchUp', { task: 'ping', every: '5s', catchUp: 'some' }, /beat entry 'e' has a bad 'catchUp'/],
    ['an unbounded catchUp', { task: 'ping', every: '5s', catchUp: { all: 0 } }, /beat entry 'e' has a bad 'catchUp'/],
    ['a bad priority', { task: 'ping', every: '5s', priority: 12 }, /beat entry 'e' has a bad 'priority' 12: give a whole number from 0/],
    ['args that are not an array', { task: 'ping', every: '5s', args: 'x' }, /beat entry 'e' has 'args' that are not an array/],
    ['a misspelt option', { task: 'ping', every: '5s', catchup: 'none' }, /beat entry 'e' has unknown option\(s\) 'catchup'/],
    ['no task', { every: '5s' }, /beat entry 'e' needs a 'task'/],
  ])('refuses %s, naming the entry', async (_what, spec, message) => {
    expect((await rejection({ e: spec })).message).toMatch(message);
  });

  it('refuses an unknown task and suggests a close name', async () => {
    const err = await rejection({ nightly: { task: 'count_signup', cron: '0 3 * * *' } });
    expect(err.message).toBe("beat entry 'nightly' names an unknown task 'count_signup'");
    expect(err.hint).toBe('did you mean count_signups?');
  });

  it("names the task when a task's own schedule is wrong", async () => {
    const err = await rejection({}, { ping: { schedule: { every: '5s', cron: '* * * * *' } } });
    expect(err.message).toBe("schedule of task 'ping' gives both 'cron' and 'every'");
  });

  it('refuses a config entry and a task schedule with the same name', async () => {
    const err = await rejection({ ping: { task: 'ping', every: '1m' } }, { ping: { schedule: { every: '5s' } } });
    expect(err.message).toMatch(/schedule of task 'ping' clashes with the beat entry of the same name/);
  });

  it('refuses arguments too large to send', async () => {
    const config = await configWith({ big: { task: 'ping', every: '5s', args: ['x'.repeat(2000)] } }, { maxMessageBytes: 1000 });
    expect(() => collectSchedule(config, registryOf(['ping']))).toThrow(/beat entry 'big' cannot be sent: message for ping is \d+ bytes/);
  });
});
