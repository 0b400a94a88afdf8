import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickId } from '../../src/runtime/beat/tick.js';
import { harnesses } from '../contract/brokers.js';
import { at, entriesFor, FakeClock, startBeat } from './support.js';

/** The scheduler on the real brokers (fake clock): claims and watermarks through the Broker contract. */
describe.each(harnesses)('runBeat on $name', (harness) => {
  let env: Awaited<ReturnType<typeof harness.setup>>;
  beforeAll(async () => {
    env = await harness.setup();
  });
  afterAll(async () => env?.teardown());

  it('sends each tick once with three beats, and a restarted beat sends nothing twice', async () => {
    const broker = await env.open();
    const clock = new FakeClock(at('2025-01-01T10:00:00.300Z'));
    const { config, entries } = await entriesFor({ fast: { task: 'record', every: '1s', catchUp: { all: 10 } } });
    // Separate processes on one store are the end-to-end test's job; here three beats share a connection.
    const beats = [0, 1, 2].map(() => startBeat({ config, entries, broker, clock }));
    await clock.asleep(3);
    await clock.advance(30_000);
    await Promise.all(beats.map((b) => b.stop()));
    const restarted = startBeat({ config, entries, broker, clock });
    await clock.asleep();
    await clock.advance(5_000);
    await restarted.stop();

    const ticks = Array.from({ length: 35 }, (_, i) => at('2025-01-01T10:00:01Z') + i * 1000);
    for (const t of ticks) expect((await broker.getResult(tickId('fast', t)))?.state, new Date(t).toISOString()).toBe('PENDING');
    const [stats] = await broker.stats(['default']);
    expect(stats!.ready).toBe(35);
    await broker.close();
  });
});
