import { describe, expect, it } from 'vitest';
import { runBeat } from '../../src/runtime/beat/scheduler.js';
import { tickId, watermarkKey } from '../../src/runtime/beat/tick.js';
import type { BeatEntrySpec } from '../../src/runtime/config.js';
import { waitFor } from '../support/wait.js';
import { at, entriesFor, FakeClock, iso, MemoryBeatBroker, memoryLogger, messageOf, startBeat } from './support.js';

async function setup(beat: Record<string, BeatEntrySpec>, start: string) {
  const clock = new FakeClock(at(start));
  const broker = new MemoryBeatBroker(clock);
  const { config, entries } = await entriesFor(beat);
  const begin = async (override?: Record<string, BeatEntrySpec>) => {
    const resolved = override ? await entriesFor(override) : { config, entries };
    const beatRun = startBeat({ config: resolved.config, entries: resolved.entries, stores: broker.asStores(), clock });
    await clock.asleep();
    return beatRun;
  };
  return { clock, broker, config, entries, begin };
}

const minutes = (from: string, n: number) => Array.from({ length: n }, (_, i) => iso(at(from) + i * 60_000));

describe('runBeat', () => {
  it('sends each tick once, from the first tick after it starts, sleeping until the next one', async () => {
    const { clock, broker, begin } = await setup({ ping: { task: 'ping', every: '1m' } }, '2025-01-01T10:00:03Z');
    const beat = await begin();
    expect(broker.sent).toHaveLength(0);
    await clock.advance(10 * 60_000);
    expect(broker.ticks()).toEqual(minutes('2025-01-01T10:01:00Z', 10));
    expect(clock.sleeps).toBe(11); // one sleep per tick, no polling in between
    await beat.stop();
  });

  it('wakes at most once a minute for a rare cron, so a clock set forward is noticed', async () => {
    const { clock, broker, begin } = await setup({ hourly: { task: 'report', cron: '0 * * * *' } }, '2025-01-01T10:00:03Z');
    const beat = await begin();
    await clock.advance(3 * 60 * 60_000);
    expect(broker.ticks()).toEqual(['2025-01-01T11:00:00.000Z', '2025-01-01T12:00:00.000Z', '2025-01-01T13:00:00.000Z']);
    expect(clock.sleeps).toBeLessThanOrEqual(3 * 60 + 2);
    await beat.stop();
  });

  it('builds each message from the entry: tick id as task id, args, queue, priority, and expiry one period after sending', async () => {
    const { clock, broker, begin } = await setup(
      {
        ping: { task: 'ping', every: '1m', args: [1, 'a'], kwargs: { k: true }, queue: 'periodic', priority: 2 },
        short: { task: 'ping', every: '1m', expires: 10 },
      },
      '2025-01-01T10:00:03Z',
    );
    const beat = await begin();
    await clock.advance(60_000);
    const [ping, short] = broker.sent.map(messageOf);
    expect(ping).toMatchObject({
      id: tickId('ping', at('2025-01-01T10:01:00Z')),
      task: 'ping',
      args: [1, 'a'],
      kwargs: { k: true },
      queue: 'periodic',
      priority: 2,
      eta: null,
      expires: '2025-01-01T10:02:00.000Z',
      headers: { beat: { entry: 'ping', scheduledAt: '2025-01-01T10:01:00.000Z' } },
    });
    expect(short!.expires).toBe('2025-01-01T10:01:10.000Z');
    await beat.stop();
  });

  it('never re-fires ticks when the clock jumps back, even across a restart', async () => {
    const { clock, broker, begin } = await setup({ ping: { task: 'ping', every: '1m' } }, '2025-01-01T10:00:03Z');
    let beat = await begin();
    await clock.advance(10 * 60_000); // sent 10:01 … 10:10
    clock.jump(-5 * 60_000); // now 10:05:03
    await clock.advance(3 * 60_000);
    expect(broker.sent).toHaveLength(10);
    await beat.stop();
    beat = await begin(); // a restart while the clock is still behind
    await clock.advance(3 * 60_000); // now 10:11:03
    expect(broker.ticks()).toEqual(minutes('2025-01-01T10:01:00Z', 11));
    expect(new Set(broker.sent.map((e) => e.id)).size).toBe(11);
    await beat.stop();
  });

  it.each([
    ['latest', 'latest', ['2025-01-01T11:02:00.000Z']],
    ['all (bounded)', { all: 3 }, ['2025-01-01T11:00:00.000Z', '2025-01-01T11:01:00.000Z', '2025-01-01T11:02:00.000Z']],
  ] as const)('catches up per policy (%s) when the clock jumps forward', async (_name, catchUp, caughtUp) => {
    const { clock, broker, begin } = await setup({ ping: { task: 'ping', every: '1m', catchUp } }, '2025-01-01T10:00:03Z');
    const beat = await begin();
    await clock.advance(60_000); // sent 10:01; asleep until 10:02 by its timer
    clock.jump(60 * 60_000); // the wall clock says 11:01:03 now
    await clock.advance(9 * 60_000); // the timer fires at (wall) 11:02, then on as usual
    expect(broker.ticks()).toEqual(['2025-01-01T10:01:00.000Z', ...caughtUp, ...minutes('2025-01-01T11:03:00Z', 8)]);
    expect(beat.log.lines.some((l) => /warn ping: \d+ missed tick\(s\) not sent/.test(l))).toBe(true);
    await beat.stop();
  });

  describe('after a restart', () => {
    const cases = [
      ['latest', 'latest', '2025-01-01T10:15:20Z', ['2025-01-01T10:15:00.000Z']],
      ['all', { all: 3 }, '2025-01-01T10:15:20Z', ['2025-01-01T10:13:00.000Z', '2025-01-01T10:14:00.000Z', '2025-01-01T10:15:00.000Z']],
      ['all (more than were missed)', { all: 100 }, '2025-01-01T10:08:20Z', minutes('2025-01-01T10:06:00Z', 3)],
      ['none, on time', 'none', '2025-01-01T10:15:20Z', ['2025-01-01T10:15:00.000Z']],
      ['none, late', 'none', '2025-01-01T10:15:40Z', []],
    ] as const;
    it.each(cases)('follows catchUp %s for ticks missed while no beat ran', async (_name, catchUp, restartAt, caughtUp) => {
      const { clock, broker, begin } = await setup({ ping: { task: 'ping', every: '1m', catchUp } }, '2025-01-01T10:00:03Z');
      let beat = await begin();
      await clock.advance(5 * 60_000); // sent 10:01 … 10:05
      await beat.stop();
      clock.jump(at(restartAt) - clock.now());
      beat = await begin();
      expect(broker.ticks()).toEqual([...minutes('2025-01-01T10:01:00Z', 5), ...caughtUp]);
      await clock.advance(60_000); // and then on as usual
      expect(broker.ticks().at(-1)).toBe(iso(Math.floor(at(restartAt) / 60_000 + 1) * 60_000));
      await beat.stop();
    });

    it('never re-sends the tick it sent just before stopping', async () => {
      const { clock, broker, begin } = await setup({ ping: { task: 'ping', every: '1m', catchUp: { all: 10 } } }, '2025-01-01T10:00:03Z');
      let beat = await begin();
      await clock.advance(60_000 - 3); // exactly at 10:01:00
      await beat.stop();
      beat = await begin();
      await clock.advance(1);
      expect(broker.ticks()).toEqual(['2025-01-01T10:01:00.000Z']);
      await beat.stop();
    });

    it('does not re-send a tick whose watermark was never written (killed between send and watermark)', async () => {
      const { clock, broker, begin } = await setup({ ping: { task: 'ping', every: '1m', catchUp: { all: 10 } } }, '2025-01-01T10:00:03Z');
      let beat = await begin();
      const setMeta = broker.setMeta;
      broker.setMeta = async () => {
        throw new Error('connection reset (test)'); // as if killed right after the send
      };
      await clock.advance(60_000 - 3); // 10:01:00: sent, but the watermark write fails
      await beat.stop();
      broker.setMeta = setMeta;
      expect(await broker.getMeta(watermarkKey('ping'))).toBe(String(at('2025-01-01T10:00:00Z')));
      beat = await begin(); // a new beat sees 10:01 as due, but its claim is taken
      await clock.advance(2 * 60_000);
      expect(broker.ticks()).toEqual(minutes('2025-01-01T10:01:00Z', 3));
      expect(beat.log.lines).toContain('debug ping: tick 2025-01-01T10:01:00.000Z was already sent by another beat');
      await beat.stop();
    });

    it('takes an edited schedule from the watermark on, and removed entries stop', async () => {
      const { clock, broker, begin } = await setup(
        { ping: { task: 'ping', every: '1m' }, gone: { task: 'ping', every: '1m' } },
        '2025-01-01T10:00:03Z',
      );
      let beat = await begin();
      await clock.advance(3 * 60_000); // ping and gone: 10:01 … 10:03
      await beat.stop();
      beat = await begin({ ping: { task: 'ping', cron: '*/5 * * * *', catchUp: { all: 10 } } });
      await clock.advance(10 * 60_000); // now 10:13:03
      expect(broker.ticks('ping')).toEqual([...minutes('2025-01-01T10:01:00Z', 3), '2025-01-01T10:05:00.000Z', '2025-01-01T10:10:00.000Z']);
      expect(broker.ticks('gone')).toEqual(minutes('2025-01-01T10:01:00Z', 3));
      await beat.stop();
    });
  });

  it('sends each tick exactly once with several beats on one broker', async () => {
    const { clock, broker, config, entries } = await setup({ ping: { task: 'ping', every: '1m' }, hourly: { task: 'r', cron: '0 * * * *' } }, '2025-01-01T10:00:03Z');
    const beats = [0, 1, 2].map(() => startBeat({ config, entries, stores: broker.asStores(), clock }));
    await clock.asleep(3);
    await clock.advance(90 * 60_000);
    expect(broker.ticks('ping')).toEqual(minutes('2025-01-01T10:01:00Z', 90));
    expect(broker.ticks('hourly')).toEqual(['2025-01-01T11:00:00.000Z']);
    await Promise.all(beats.map((b) => b.stop()));
  });

  it('sends a Europe/Berlin hourly entry once per real hour through the autumn DST change', async () => {
    const { clock, broker, begin } = await setup({ hourly: { task: 'r', cron: '0 * * * *', tz: 'Europe/Berlin' } }, '2025-10-25T21:30:00Z');
    const beat = await begin();
    await clock.advance(25 * 60 * 60_000); // through the local day 2025-10-26 (25 hours long)
    const ticks = broker.ticks();
    expect(ticks).toHaveLength(25);
    expect(new Set(ticks).size).toBe(25);
    expect(ticks[0]).toBe('2025-10-25T22:00:00.000Z');
    expect(ticks.at(-1)).toBe('2025-10-26T22:00:00.000Z');
    await beat.stop();
  });

  it('sends a Europe/Berlin 02:30 entry once on each DST day, right after the spring gap', async () => {
    const { clock, broker, begin } = await setup({ nightly: { task: 'r', cron: '30 2 * * *', tz: 'Europe/Berlin' } }, '2025-03-29T12:00:00Z');
    let beat = await begin();
    await clock.advance(2 * 24 * 60 * 60_000);
    expect(broker.ticks()).toEqual(['2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
    await beat.stop();
    clock.jump(at('2025-10-25T12:00:00Z') - clock.now());
    beat = await begin();
    await clock.advance(2 * 24 * 60 * 60_000);
    expect(broker.ticks().slice(2)).toEqual(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
    await beat.stop();
  });

  it('rides out broker errors with a backoff and catches up when the broker is back', async () => {
    const { clock, broker, begin } = await setup({ ping: { task: 'ping', every: '10s' } }, '2025-01-01T10:00:03Z');
    const beat = await begin();
    broker.failures = 4;
    await clock.advance(60_000);
    expect(beat.log.lines.filter((l) => l.startsWith('error ping: broker unreachable'))).toHaveLength(4);
    expect(beat.log.lines).toContain('info ping: broker reachable again');
    // 10:00:10 failed and backed off 1+2+4+8 s; the first success at 10:00:25 sends the latest due tick (10:00:20).
    expect(broker.ticks()).toEqual(['2025-01-01T10:00:20.000Z', '2025-01-01T10:00:30.000Z', '2025-01-01T10:00:40.000Z', '2025-01-01T10:00:50.000Z', '2025-01-01T10:01:00.000Z']);
    await beat.stop();
  });

  it('returns promptly when the signal aborts, on the real clock', async () => {
    const broker = new MemoryBeatBroker({ now: () => Date.now() });
    const { config, entries } = await entriesFor({ yearly: { task: 'r', cron: '0 0 1 1 *' } });
    const controller = new AbortController();
    const done = runBeat({ config, entries, stores: broker.asStores(), log: memoryLogger(), signal: controller.signal });
    await waitFor(() => broker.meta.has(watermarkKey('yearly')), 'the first visit');
    const started = Date.now();
    controller.abort();
    await done;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
