import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from '../../src/runtime/brokers/redis/connection.js';
import { MarkerWaiter, WATCHDOG_GRACE_MS } from '../../src/runtime/brokers/redis/marker-waiter.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

describe('blocking on marker keys', () => {
  let server: RedisServer;
  let proxy: TcpProxy;
  let control: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    proxy = await startTcpProxy(server.port);
    control = new Redis(server.url);
  });
  afterAll(async () => {
    control.disconnect();
    await proxy.close();
    await server.stop();
  });

  const waiter = () => new MarkerWaiter(() => createConnection(`redis://127.0.0.1:${proxy.port}/0`, 'blocking', undefined), control);

  it('returns as soon as a marker is set', async () => {
    const markers = waiter();
    const waiting = markers.wait(['m:a', 'm:b'], 5_000);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await control.zadd('m:b', 0, '0');
    await waiting;
    expect(Date.now() - started).toBeLessThan(500);
    expect(await control.exists('m:b')).toBe(0);
    markers.close();
  });

  it('ends a wait at once on abort, and leaves the marker for someone else', async () => {
    const markers = waiter();
    const abort = new AbortController();
    const waiting = markers.wait(['m:c'], 5_000, abort.signal);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    abort.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(200);
    markers.close();
  });

  it('ends a wait on time even when its connection hangs, and replaces that connection', async () => {
    const markers = waiter();
    await control.zadd('m:d', 0, '0');
    await markers.wait(['m:d'], 5_000); // opens a connection, back in the pool once it popped
    expect(markers.size).toBe(1);
    proxy.freeze(); // the pooled connection now swallows everything
    const started = Date.now();
    await markers.wait(['m:d'], 200);
    expect(Date.now() - started).toBeLessThan(400);
    // The next wait gets a fresh connection that works.
    const waiting = markers.wait(['m:d'], 5_000);
    await new Promise((r) => setTimeout(r, 200));
    const woke = Date.now();
    await control.zadd('m:d', 0, '0');
    await waiting;
    expect(Date.now() - woke).toBeLessThan(500);
    // The watchdog drops the hung one.
    await waitFor(() => markers.size === 1, 'the hung connection to be dropped', WATCHDOG_GRACE_MS + 2_000);
    markers.close();
  }, 15_000);

  it('ends a timed wait close to its time, not at the next Redis tick', async () => {
    const markers = waiter();
    await markers.wait(['m:e'], 50);
    for (const ms of [30, 70, 130]) {
      const started = Date.now();
      await markers.wait(['m:e'], ms);
      expect(Date.now() - started).toBeLessThan(ms + 40);
    }
    markers.close();
  });
});
