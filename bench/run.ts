/**
 * `npm run bench`: throughput and latency tables. Speed is measured here,
 * never asserted in tests. Sections run one after another so they do not
 * compete for the machine's cores.
 */
import { existsSync } from 'node:fs';
import { benchEvents, benchEventsOnRedis } from './events.js';
import { benchPools } from './pools.js';
import { benchSqlite } from './sqlite.js';
import { benchTui } from './tui.js';
import { benchWeb } from './web.js';

const only = process.argv[2];
if (!only || only === 'sqlite') await benchSqlite();
if (!only || only === 'pools') await benchPools();
if (!only || only === 'events') {
  await benchEvents();
  await benchEventsOnRedis();
}
if (!only || only === 'tui') await benchTui();
if (!only || only === 'web') await benchWeb();
if (!only || only === 'canvas') await (await import('./canvas.js')).benchCanvas();
if (!only || only === 'call') await (await import('./call.js')).benchCall();
if (!only || only === 'memory') await (await import('./memory.js')).benchMemory();
if (!only || only === 'celery') await (await import('./celery-drain.js')).benchCeleryDrain();
// Not in the default run: it needs valgrind and takes minutes.
if (only === 'redis-cost') await (await import('./redis-cost.js')).benchRedisCost();
// Not in the default run: it needs the machine's RabbitMQ and Python Celery, and takes minutes.
if (only === 'amqp') await (await import('./amqp.js')).benchAmqp();
if ((!only || only === 'redis') && existsSync(new URL('./redis.ts', import.meta.url))) {
  const { benchRedis } = (await import('./redis.js')) as { benchRedis: () => Promise<void> };
  await benchRedis();
}
