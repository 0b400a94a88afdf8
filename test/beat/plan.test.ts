import { describe, expect, it } from 'vitest';
import { planTicks } from '../../src/runtime/beat/plan.js';
import { CronSchedule, IntervalSchedule } from '../../src/runtime/beat/schedule.js';
import { at, iso } from './support.js';

const minutely = new IntervalSchedule(60_000, 'UTC');
const isoPlan = (p: ReturnType<typeof planTicks>) => ({ send: p.send.map(iso), skipped: p.skipped, watermark: iso(p.watermark) });

describe('planTicks', () => {
  it('sends nothing before the next tick is due', () => {
    expect(isoPlan(planTicks(minutely, 'latest', at('2025-01-01T10:00:00Z'), at('2025-01-01T10:00:59.999Z')))).toEqual({
      send: [],
      skipped: 0,
      watermark: '2025-01-01T10:00:00.000Z',
    });
  });

  it('sends the one due tick on time, whatever the policy', () => {
    for (const policy of ['none', 'latest', { all: 5 }] as const) {
      expect(planTicks(minutely, policy, at('2025-01-01T10:00:00Z'), at('2025-01-01T10:01:00.020Z')).send.map(iso)).toEqual(['2025-01-01T10:01:00.000Z']);
    }
  });

  it("'latest' sends only the most recent of the missed ticks", () => {
    expect(isoPlan(planTicks(minutely, 'latest', at('2025-01-01T10:00:00Z'), at('2025-01-01T10:05:30Z')))).toEqual({
      send: ['2025-01-01T10:05:00.000Z'],
      skipped: 4,
      watermark: '2025-01-01T10:05:00.000Z',
    });
  });

  it("'all' sends every missed tick, oldest first, up to its bound", () => {
    const plan = planTicks(minutely, { all: 3 }, at('2025-01-01T10:00:00Z'), at('2025-01-01T10:05:30Z'));
    expect(isoPlan(plan)).toEqual({
      send: ['2025-01-01T10:03:00.000Z', '2025-01-01T10:04:00.000Z', '2025-01-01T10:05:00.000Z'],
      skipped: 2,
      watermark: '2025-01-01T10:05:00.000Z',
    });
    expect(planTicks(minutely, { all: 10 }, at('2025-01-01T10:00:00Z'), at('2025-01-01T10:05:30Z')).send).toHaveLength(5);
  });

  it("'none' drops ticks that are no longer on time", () => {
    // 10:05 is 30 s late: half the period, the limit for a minutely entry.
    expect(isoPlan(planTicks(minutely, 'none', at('2025-01-01T10:00:00Z'), at('2025-01-01T10:05:31Z')))).toEqual({
      send: [],
      skipped: 5,
      watermark: '2025-01-01T10:05:00.000Z',
    });
    expect(planTicks(minutely, 'none', at('2025-01-01T10:00:00Z'), at('2025-01-01T10:05:02Z')).send.map(iso)).toEqual(['2025-01-01T10:05:00.000Z']);
    const nightly = new CronSchedule('0 3 * * *', 'UTC', 'n');
    // A day-long period still allows at most 60 s.
    expect(planTicks(nightly, 'none', at('2025-01-01T03:00:00Z'), at('2025-01-02T03:01:01Z')).send).toEqual([]);
  });

  it('sends nothing when the clock went back behind the watermark', () => {
    expect(planTicks(minutely, { all: 10 }, at('2025-01-01T10:05:00Z'), at('2025-01-01T09:00:00Z'))).toEqual({
      send: [],
      skipped: 0,
      watermark: at('2025-01-01T10:05:00Z'),
    });
  });

  it('stays cheap after a long outage of a fast entry (counts, does not list, what it drops)', () => {
    const everySecond = new IntervalSchedule(1000, 'UTC');
    const plan = planTicks(everySecond, 'latest', at('2025-01-01T00:00:00Z'), at('2025-01-08T00:00:00Z'));
    expect(plan.send).toEqual([at('2025-01-08T00:00:00Z')]);
    expect(plan.skipped).toBe(10_000); // counted up to the limit
  });
});
