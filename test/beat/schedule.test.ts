import { describe, expect, it } from 'vitest';
import { describeSchedule, formatInZone } from '../../src/runtime/beat/describe.js';
import { formatDuration, parseDuration } from '../../src/runtime/beat/duration.js';
import { CronSchedule, IntervalSchedule } from '../../src/runtime/beat/schedule.js';
import { tickId } from '../../src/runtime/beat/tick.js';
import { at, entriesFor, iso } from './support.js';

/** The ticks of `schedule` in (from, to], as ISO strings. */
function ticksBetween(schedule: { next(ms: number): number | null }, from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = schedule.next(at(from)); t !== null && t <= at(to); t = schedule.next(t)) out.push(iso(t));
  return out;
}

describe('interval schedules', () => {
  it('align ticks to the epoch, so every beat agrees whatever its start time', () => {
    const every = new IntervalSchedule(30_000, 'UTC');
    expect(iso(every.next(at('2025-01-01T10:00:07.123Z')))).toBe('2025-01-01T10:00:30.000Z');
    expect(iso(every.next(at('2025-01-01T10:00:30.000Z')))).toBe('2025-01-01T10:01:00.000Z');
    expect(iso(every.latest(at('2025-01-01T10:00:30.000Z')))).toBe('2025-01-01T10:00:30.000Z');
    expect(every.count(at('2025-01-01T10:00:00Z'), at('2025-01-01T10:05:00Z'), 1000)).toBe(10);
    expect(every.text).toBe('every 30s');
  });

  it('parses durations as the config writes them', () => {
    expect(parseDuration('30s', 'ms')).toBe(30_000);
    expect(parseDuration('5m', 'ms')).toBe(300_000);
    expect(parseDuration('2h', 'ms')).toBe(7_200_000);
    expect(parseDuration('1d', 'ms')).toBe(86_400_000);
    expect(parseDuration(1500, 'ms')).toBe(1500);
    expect(parseDuration(30, 's')).toBe(30_000);
    expect(parseDuration('1.5s', 'ms')).toBe(1500);
    for (const bad of ['', 'soon', '-5s', 0, -1, Number.NaN, '5 parsecs', null, {}]) expect(parseDuration(bad, 'ms')).toBeNull();
    expect(formatDuration(90_061_000)).toBe('1d 1h 1m 1s');
  });
});

describe('cron schedules', () => {
  it('accept 6 fields with seconds first', () => {
    const cron = new CronSchedule('*/20 * * * * *', 'UTC', 'e');
    expect(ticksBetween(cron, '2025-01-01T00:00:00.500Z', '2025-01-01T00:01:00Z')).toEqual([
      '2025-01-01T00:00:20.000Z',
      '2025-01-01T00:00:40.000Z',
      '2025-01-01T00:01:00.000Z',
    ]);
    expect(iso(cron.latest(at('2025-01-01T00:00:20.000Z'))!)).toBe('2025-01-01T00:00:20.000Z');
  });

  it('fire a daily time that does not exist on the spring-forward day once, right after the gap (Europe/Berlin)', () => {
    // 2025-03-30: clocks go 02:00 → 03:00 CEST; 02:30 does not exist.
    const cron = new CronSchedule('30 2 * * *', 'Europe/Berlin', 'e');
    const ticks = ticksBetween(cron, '2025-03-28T12:00:00Z', '2025-04-01T12:00:00Z');
    expect(ticks).toEqual(['2025-03-29T01:30:00.000Z', '2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z', '2025-04-01T00:30:00.000Z']);
    expect(ticks.map((t) => formatInZone(at(t), 'Europe/Berlin'))).toEqual([
      '2025-03-29 02:30:00 +01:00',
      '2025-03-30 03:30:00 +02:00',
      '2025-03-31 02:30:00 +02:00',
      '2025-04-01 02:30:00 +02:00',
    ]);
  });

  it('fire a daily time that happens twice on the fall-back day once (Europe/Berlin)', () => {
    // 2025-10-26: clocks go 03:00 CEST → 02:00 CET; 02:30 happens twice.
    const cron = new CronSchedule('30 2 * * *', 'Europe/Berlin', 'e');
    expect(ticksBetween(cron, '2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z')).toEqual(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  });

  it('fire an hourly entry every real hour across both DST changes: 23 ticks in spring, 25 in autumn', () => {
    const hourly = new CronSchedule('0 * * * *', 'Europe/Berlin', 'e');
    // Local calendar days in Berlin, in UTC: 2025-03-30 is 23 h long, 2025-10-26 is 25 h long.
    expect(ticksBetween(hourly, '2025-03-29T22:59:59Z', '2025-03-30T21:59:59Z')).toHaveLength(23);
    const autumn = ticksBetween(hourly, '2025-10-25T21:59:59Z', '2025-10-26T22:59:59Z');
    expect(autumn).toHaveLength(25);
    expect(new Set(autumn).size).toBe(25);
    expect(hourly.count(at('2025-10-25T21:59:59Z'), at('2025-10-26T22:59:59Z'), 1000)).toBe(25);
  });

  it('fire an hourly-wildcard entry in both passes of the repeated hour, a fixed-hour one only in the first', () => {
    const halfHourly = new CronSchedule('*/30 * * * *', 'Europe/Berlin', 'e');
    expect(ticksBetween(halfHourly, '2025-10-25T23:45:00Z', '2025-10-26T02:00:00Z')).toEqual([
      '2025-10-26T00:00:00.000Z', // 02:00 CEST
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T01:00:00.000Z', // 02:00 CET
      '2025-10-26T01:30:00.000Z', // 02:30 CET
      '2025-10-26T02:00:00.000Z', // 03:00 CET
    ]);
    const everyTwoHours = new CronSchedule('0 */2 * * *', 'Europe/Berlin', 'e');
    expect(ticksBetween(everyTwoHours, '2025-10-25T21:30:00Z', '2025-10-26T04:00:00Z')).toEqual([
      '2025-10-25T22:00:00.000Z', // 00:00 CEST
      '2025-10-26T00:00:00.000Z', // 02:00 CEST, not again at 02:00 CET
      '2025-10-26T03:00:00.000Z', // 04:00 CET
    ]);
  });

  it('fire the skipped hour of a New York entry once, shifted by the gap', () => {
    // 2025-03-09: 02:00 EST → 03:00 EDT.
    const cron = new CronSchedule('15 2 * * *', 'America/New_York', 'e');
    expect(ticksBetween(cron, '2025-03-08T00:00:00Z', '2025-03-10T12:00:00Z').map((t) => formatInZone(at(t), 'America/New_York'))).toEqual([
      '2025-03-08 02:15:00 -05:00',
      '2025-03-09 03:15:00 -04:00',
      '2025-03-10 02:15:00 -04:00',
    ]);
  });

  it('agree with themselves wherever a beat starts looking, also across DST changes', () => {
    const schedules = [
      new CronSchedule('30 2 * * *', 'Europe/Berlin', 'e'),
      new CronSchedule('*/20 * * * *', 'Europe/Berlin', 'e'),
      new CronSchedule('0 */2 * * *', 'Europe/Berlin', 'e'),
      new CronSchedule('15 1-3 * * *', 'America/New_York', 'e'),
    ];
    const windows = [['2025-03-29T20:00:00Z', '2025-03-30T06:00:00Z'], ['2025-10-25T20:00:00Z', '2025-10-26T06:00:00Z'], ['2025-03-08T20:00:00Z', '2025-03-09T12:00:00Z'], ['2025-11-01T20:00:00Z', '2025-11-02T12:00:00Z']];
    for (const schedule of schedules) {
      for (const [from, to] of windows) {
        const forward = ticksBetween(schedule, from!, to!);
        const backward: string[] = [];
        for (let t = schedule.latest(at(to!)); t !== null && t > at(from!); t = schedule.latest(t - 1)) backward.unshift(iso(t));
        expect(backward, `${schedule.text} ${schedule.tz} ${from}`).toEqual(forward);
        for (let probe = at(from!); probe < at(to!); probe += 7 * 60_000 + 13_000) {
          const latest = schedule.latest(probe)!;
          expect(latest).toBeLessThanOrEqual(probe);
          expect(schedule.next(latest), `${schedule.text} at ${iso(probe)}`).toBe(schedule.next(probe));
        }
      }
    }
  });

  it('pick the same hashed (H) minute in every beat, from the entry name', () => {
    const a = new CronSchedule('H * * * *', 'UTC', 'nightly');
    const b = new CronSchedule('H * * * *', 'UTC', 'nightly');
    expect(a.next(at('2025-01-01T00:00:00Z'))).toBe(b.next(at('2025-01-01T00:00:00Z')));
  });
});

describe('tick ids', () => {
  it('are UUIDs derived from entry and time: the same tick, the same id', () => {
    const id = tickId('nightly', at('2025-01-01T03:00:00Z'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(tickId('nightly', at('2025-01-01T03:00:00Z'))).toBe(id);
    expect(tickId('nightly', at('2025-01-02T03:00:00Z'))).not.toBe(id);
    expect(tickId('other', at('2025-01-01T03:00:00Z'))).not.toBe(id);
  });
});

describe('describeSchedule (tq beat --list)', () => {
  it('lists the next run times of each entry in its timezone', async () => {
    const { entries } = await entriesFor({
      nightly: { task: 'count_signups', cron: '30 2 * * *', tz: 'Europe/Berlin' },
      ping: { task: 'ping', every: '30s', expires: 10 },
    });
    const [nightly, ping] = describeSchedule(entries, 3, at('2025-03-28T12:00:00Z'));
    expect(nightly!.next.map((n) => n.local)).toEqual(['2025-03-29 02:30:00 +01:00', '2025-03-30 03:30:00 +02:00', '2025-03-31 02:30:00 +02:00']);
    expect(nightly).toMatchObject({ schedule: '30 2 * * *', tz: 'Europe/Berlin', catchUp: 'latest', expires: 'next tick', queue: 'default' });
    expect(ping!.next.map((n) => n.at)).toEqual(['2025-03-28T12:00:30.000Z', '2025-03-28T12:01:00.000Z', '2025-03-28T12:01:30.000Z']);
    expect(ping).toMatchObject({ schedule: 'every 30s', expires: '10s', tz: 'UTC' });
  });
});
