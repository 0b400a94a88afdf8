import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Broker } from '../../src/runtime/brokers/broker.js';
import { openBroker } from '../../src/runtime/brokers/index.js';

/** What a test may set on the brokers it opens. */
export interface HarnessOptions {
  resultExpiresMs?: number;
  maxMessageBytes?: number;
}

/** One broker implementation under test: starts what it needs, opens isolated brokers. */
export interface BrokerHarness {
  name: string;
  /** start whatever server is needed; returns a factory of fresh, isolated brokers */
  setup(): Promise<{ open(options?: HarnessOptions): Promise<Broker>; teardown(): Promise<void> }>;
}

export const sqliteHarness: BrokerHarness = {
  name: 'sqlite',
  async setup() {
    const dir = mkdtempSync(join(tmpdir(), 'tq-contract-'));
    let n = 0;
    return {
      open: (options = {}) =>
        openBroker({
          url: `sqlite://${join(dir, `broker-${n++}.db`)}`,
          projectRoot: dir,
          resultExpiresMs: options.resultExpiresMs ?? 60_000,
          keyPrefix: 'tq:',
          maxMessageBytes: options.maxMessageBytes,
        }),
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

/** Sets a harness up for one describe block and returns an `open()` whose brokers are closed after it. */
export function useHarness(harness: BrokerHarness): (options?: HarnessOptions) => Promise<Broker> {
  let env: Awaited<ReturnType<BrokerHarness['setup']>> | undefined;
  const opened: Broker[] = [];
  beforeAll(async () => {
    env = await harness.setup();
  }, 30_000);
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()));
    await env?.teardown();
  });
  return async (options) => {
    const broker = await env!.open(options);
    opened.push(broker);
    return broker;
  };
}
