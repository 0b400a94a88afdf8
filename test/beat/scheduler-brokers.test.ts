import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickId } from '../../src/runtime/beat/tick.js';
import { harnesses } from '../contract/brokers.js';
import { at, entriesFor, FakeClock, startBeat } from './support.js';
import type { FusedStore } from '../../src/runtime/brokers/fused.js';
import type { Stores } from '../../src/runtime/brokers/index.js';

/** The scheduler on the real brokers (fake clock): claims and watermarks through the Broker contract. */
describe.each(harnesses)('runBeat on $name', (harness) => {
  let env: Awaited<ReturnType<typeof harness.setup>>;
  beforeAll(async () => {
    env = await harness.setup();
  });
  afterAll(async () => env?.teardown());

  /** One store in both roles (claim and enqueue in one step), or two of them: broker and backend apart. */
  const deployments: [string, () => Promise<{ stores: Stores; broker: FusedStore; backend: FusedStore }>][] = [
    ['one store', async () => {
      const broker = (await env.open()) as FusedStore;
      return { stores: { broker, backend: broker, fused: broker, close: () => broker.close() }, broker, backend: broker };
    }],
    ['broker and backend apart', async () => {
      const [broker, backend] = [(await env.open()) as FusedStore, (await env.open()) as FusedStore];
      return { stores: { broker, backend, fused: undefined, close: async () => void (await Promise.all([broker.close(), backend.close()])) }, broker, backend };
    }],
  ];

  it.each(deployments)('sends each tick once with three beats, and a restarted beat sends nothing twice (%s)', async (_name, deploy) => {
    const { stores, broker, backend } = await deploy();
    const clock = new FakeClock(at('2025-01-01T10:00:00.300Z'));
    const { config, entries } = await entriesFor({ fast: { task: 'record', every: '1s', catchUp: { all: 10 } } });
    // Separate processes on one store are the end-to-end test's job; here three beats share a connection.
    const beats = [0, 1, 2].map(() => startBeat({ config, entries, stores, clock }));
    await clock.asleep(3);
    await clock.advance(30_000);
    await Promise.all(beats.map((b) => b.stop()));
    const restarted = startBeat({ config, entries, stores, clock });
    await clock.asleep();
    await clock.advance(5_000);
    await restarted.stop();

    const ticks = Array.from({ length: 35 }, (_, i) => at('2025-01-01T10:00:01Z') + i * 1000);
    for (const t of ticks) expect((await backend.getResult(tickId('fast', t)))?.state, new Date(t).toISOString()).toBe('PENDING');
    const [stats] = await broker.stats(['default']);
    expect(stats!.ready).toBe(35);
    await stores.close();
  });
});
