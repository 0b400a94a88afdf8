import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Broker, BrokerOptions } from '../../src/runtime/brokers/broker.js';
import { openBroker } from '../../src/runtime/brokers/index.js';
import { rabbitmqctl } from '../support/rabbitmq-server.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * What a broker's message flow can and cannot do, so one suite states each
 * guarantee in the form it takes there (River's driver feature matrix):
 * - `leases`: 'lapse' — a lease ends after its time (SQLite, Redis: a dead
 *   holder's messages come back once it stops renewing); 'channel' — a
 *   delivery goes back when its holder's connection closes (RabbitMQ).
 * - `countsAll`: counts leased and delayed messages per queue.
 * - `knowsIds`: refuses an id it already holds, removes a waiting message by
 *   id, and reads a queue without taking from it.
 */
export interface FlowTraits {
  leases: 'lapse' | 'channel';
  countsAll: boolean;
  knowsIds: boolean;
}

export interface FlowEnv {
  /** A fresh broker, isolated from every other one opened here. */
  open(options?: { maxMessageBytes?: number }): Promise<Broker>;
  /** Another handle on the store `broker` uses (another process, as far as the broker can tell). */
  peer(broker: Broker): Promise<Broker>;
  teardown(): Promise<void>;
}

export interface FlowHarness {
  name: string;
  traits: FlowTraits;
  setup(): Promise<FlowEnv>;
}

/** Opens brokers, remembering the options of each so a peer can be opened on the same store. */
function envOver(base: (n: number) => BrokerOptions, teardown: () => Promise<void>): FlowEnv {
  const optionsOf = new WeakMap<Broker, BrokerOptions>();
  let n = 0;
  const openWith = async (options: BrokerOptions) => {
    const broker = await openBroker(options);
    optionsOf.set(broker, options);
    return broker;
  };
  return {
    open: (extra = {}) => openWith({ ...base(n++), ...extra }),
    peer: (broker) => openWith(optionsOf.get(broker)!),
    teardown,
  };
}

export const sqliteFlow: FlowHarness = {
  name: 'sqlite',
  traits: { leases: 'lapse', countsAll: true, knowsIds: true },
  async setup() {
    const dir = mkdtempSync(join(tmpdir(), 'tq-flow-'));
    return envOver(
      (n) => ({ url: `sqlite://${join(dir, `broker-${n}.db`)}`, projectRoot: dir, resultExpiresMs: 60_000, keyPrefix: 'tq:' }),
      async () => rmSync(dir, { recursive: true, force: true }),
    );
  },
};

export const redisFlow: FlowHarness = {
  name: 'redis',
  traits: { leases: 'lapse', countsAll: true, knowsIds: true },
  async setup() {
    const server: RedisServer = await startRedisServer();
    const run = randomBytes(4).toString('hex');
    return envOver(
      (n) => ({ url: server.url, projectRoot: process.cwd(), resultExpiresMs: 60_000, keyPrefix: `tqflow:${run}:${n}:` }),
      () => server.stop(),
    );
  },
};

/**
 * RabbitMQ: the machine's RabbitMQ service (127.0.0.1:5672, guest/guest), in a
 * virtual host this run creates and deletes, a name prefix per broker.
 */
export const amqpFlow: FlowHarness = {
  name: 'amqp',
  traits: { leases: 'channel', countsAll: false, knowsIds: false },
  async setup() {
    const vhost = `tqtest-${randomBytes(4).toString('hex')}`;
    rabbitmqctl(['add_vhost', vhost]);
    rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
    return envOver(
      (n) => ({ url: `amqp://guest:guest@127.0.0.1:5672/${vhost}`, projectRoot: process.cwd(), resultExpiresMs: 60_000, keyPrefix: `t${n}:` }),
      async () => void rabbitmqctl(['delete_vhost', vhost]),
    );
  },
};

export const flowHarnesses: FlowHarness[] = [sqliteFlow, redisFlow, amqpFlow];

/** Sets a harness up for one describe block; brokers opened through it are closed after it. */
export function useFlow(harness: FlowHarness): FlowEnv {
  let env: FlowEnv | undefined;
  const opened: Broker[] = [];
  beforeAll(async () => {
    env = await harness.setup();
  }, 30_000);
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close().catch(() => undefined)));
    await env?.teardown();
  });
  const track = async (p: Promise<Broker>) => {
    const b = await p;
    opened.push(b);
    return b;
  };
  return {
    open: (options) => track(env!.open(options)),
    peer: (broker) => track(env!.peer(broker)),
    teardown: async () => undefined,
  };
}
