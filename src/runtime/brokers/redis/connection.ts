import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { maskUrl, type RedisTlsOptions } from '../../config.js';
import { TqError } from '../../errors.js';
import { mapRefusals, refusalOf } from './reply-errors.js';

/** `connect()` gives up after this long, so `tq call` never hangs on a dead Redis. */
export const CONNECT_TIMEOUT_MS = 4_000;
/** Longest pause between reconnect attempts, so a worker consumes within ~1 s of Redis coming back. */
const MAX_RECONNECT_DELAY_MS = 500;
/** Redis 6.0 brought sub-second BZPOPMIN timeouts; nothing older will do. */
const MIN_REDIS_MAJOR = 6;

export type ConnectionRole = 'commands' | 'blocking' | 'subscriber';

/**
 * One ioredis connection for one role. Calls on the commands connection are
 * written at once and pipelined (a call never waits for an earlier reply); the
 * others block or listen and get their own sockets.
 *
 * Reconnects: once a connection has been ready it reconnects forever and
 * commands wait for it (maxRetriesPerRequest: null), so a worker rides out a
 * Redis restart. Before that, the first failure ends it, so `connect()` can
 * report an unreachable Redis at once.
 *
 * Refusals (out of memory, ACL, a replica…) reject as TqError BROKER_REFUSED
 * (see reply-errors.ts); `prefix` names tq's keys in their hints.
 */
export function createConnection(url: string, role: ConnectionRole, tls: RedisTlsOptions | undefined, prefix = 'tq:'): Redis {
  let wasReady = role !== 'commands';
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS - 500,
    maxRetriesPerRequest: null,
    // No auto-pipelining: its setImmediate deferral costs more per call than it saves here;
    // commands issued together are pipelined anyway (ioredis never waits for a reply to send),
    // and finishes are batched into one script call by FinishBatcher.
    enableAutoPipelining: false,
    connectionName: `tq:${role}`,
    // ioredis's ready check sends INFO after connecting; a SUBSCRIBE issued meanwhile puts the
    // connection in subscriber mode first and the INFO fails ("only subscriber commands may be
    // used"). A subscriber needs no check: it sends nothing that a loading Redis would refuse.
    enableReadyCheck: role !== 'subscriber',
    retryStrategy: (times) => (wasReady ? Math.min(times * 50, MAX_RECONNECT_DELAY_MS) : null),
  };
  if (/^rediss:/i.test(url)) options.tls = tlsOptions(tls ?? {});
  const redis = mapRefusals(new Redis(url, options), maskUrl(url), prefix);
  redis.once('ready', () => {
    wasReady = true;
  });
  // Without a listener ioredis prints every reconnect error; the last one is kept for messages.
  redis.on('error', (err: Error) => {
    lastErrors.set(redis, err);
  });
  return redis;
}

const lastErrors = new WeakMap<Redis, Error>();

/**
 * Connects within CONNECT_TIMEOUT_MS or throws BROKER_UNREACHABLE with the
 * password masked, and checks the server is recent enough. A server that
 * answered but refused (a wrong password, a database it does not have)
 * throws BROKER_REFUSED with the reason instead.
 */
export async function connectWithin(redis: Redis, url: string, prefix = 'tq:'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([redis.connect(), timeout]);
  } catch (err) {
    redis.disconnect();
    const cause = lastErrors.get(redis) ?? (err as Error);
    const refused = refusalOf(cause, maskUrl(url), prefix, 'the connection');
    if (refused) throw refused;
    if (err instanceof TqError && err.code === 'BROKER_REFUSED') throw err;
    throw new TqError('BROKER_UNREACHABLE', `cannot reach Redis at ${maskUrl(url)}: ${cause.message}`, {
      hint: 'check that redis-server is running and that the URL, password and TLS settings are right',
      cause,
    });
  } finally {
    clearTimeout(timer);
  }
  // ioredis reports a refused SELECT only as an 'error' event and goes on, on database 0.
  const refused = refusalOf(lastErrors.get(redis), maskUrl(url), prefix, 'the connection');
  if (refused) {
    redis.disconnect();
    throw refused;
  }
  let info: string;
  try {
    info = await redis.info('server');
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '0';
  if (Number.parseInt(version, 10) < MIN_REDIS_MAJOR) {
    redis.disconnect();
    throw new TqError('CONFIG', `Redis at ${maskUrl(url)} is version ${version}; tq needs ${MIN_REDIS_MAJOR}.0 or newer`);
  }
  // A cluster node answers a plain client, and then refuses each key of another slot with a
  // MOVED reply, or a script with "non local key": better one line now than such errors later.
  if (/^redis_mode:cluster\s*$/m.test(info)) {
    redis.disconnect();
    throw new TqError('BROKER_REFUSED', `Redis at ${maskUrl(url)} is a node of a Redis Cluster, and a redis:// broker URL is for one Redis server`, {
      hint: 'tq does not run on Redis Cluster yet: give the URL of a standalone Redis (or its primary)',
    });
  }
}

function tlsOptions(tls: RedisTlsOptions): NonNullable<RedisOptions['tls']> {
  const read = (what: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TqError('CONFIG', `cannot read the Redis TLS ${what} file ${path}: ${(err as Error).message}`);
    }
  };
  return {
    ca: read('CA', tls.ca),
    cert: read('certificate', tls.cert),
    key: read('key', tls.key),
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
  };
}
