import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openBroker } from '../../src/runtime/brokers/index.js';
import type { Broker } from '../../src/runtime/brokers/broker.js';
import { followEvents } from '../../src/runtime/events.js';

describe('following the event stream', () => {
  let broker: Broker | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets timers and sockets run between batches while it catches up (SQLite answers at once)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tq-follow-'));
    broker = await openBroker({ url: `sqlite://${join(dir, 'tq.db')}`, projectRoot: dir, resultExpiresMs: 60_000, keyPrefix: 'tq:' });
    for (let b = 0; b < 20; b++) {
      await broker.appendEvents(Array.from({ length: 500 }, (_, i) => ({ type: 'task-sent' as const, at: new Date().toISOString(), taskId: `t${b}-${i}`, task: 'noop', queue: 'default' })));
    }
    let read = 0;
    let readWhenTimerRan = -1;
    setTimeout(() => (readWhenTimerRan = read), 0);
    for await (const _ of followEvents(broker, { after: '0', follow: false })) read++;
    expect(read).toBe(10_000);
    expect(readWhenTimerRan).toBeGreaterThanOrEqual(0);
    expect(readWhenTimerRan).toBeLessThan(10_000);
  });
});
