import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Scripts } from './scripts.js';

/** BZPOPMIN's timeout in the check, in seconds: the call only has to be allowed, not to wait. */
const BLOCK_PROBE_S = '0.01';

/**
 * A worker's start-up check that Redis lets it do its work: one pipelined
 * round trip of harmless calls, one per kind of access tq needs — a script
 * (EVALSHA/EVAL, reading a task's keys), a write under the prefix, the
 * server clock (TIME, which every script reads), the control stream, a
 * publish on tq's channels, and a blocking pop (an idle reserve). The first
 * refusal rejects as TqError BROKER_REFUSED (reply-errors.ts), so a worker
 * whose ACL user lacks a key pattern or a command, or whose Redis is out of
 * memory or a replica, stops with one line instead of running and taking
 * nothing. It writes one key, `{p}meta:access-check:{random}`, which expires
 * within a second.
 */
export async function checkAccess(redis: Redis, scripts: Scripts, prefix: string): Promise<void> {
  const probe = `${prefix}meta:access-check:${randomBytes(6).toString('hex')}`;
  // Issued together (one round trip); Redis answers in order, so the first refusal is the first listed.
  await Promise.all([
    scripts['get-state']([prefix, 'access-check']),
    redis.set(probe, '1', 'PX', 1000),
    redis.time(),
    redis.xrevrange(`${prefix}control`, '+', '-', 'COUNT', 1),
    redis.publish(`${prefix}access-check`, '1'),
    redis.bzpopmin(`${probe}:none`, BLOCK_PROBE_S),
  ]);
}
