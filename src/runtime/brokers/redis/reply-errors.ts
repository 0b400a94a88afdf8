import { ReplyError, type Redis } from 'ioredis';
import { TqError } from '../../errors.js';

/**
 * Redis's refusals, mapped to errors a user can act on, in one place.
 *
 * A Redis that is out of memory, a replica, still loading, unable to persist,
 * busy in a script, a Cluster node, or an ACL user without tq's keys or
 * commands answers tq's calls with an error reply. None of these is a bug in
 * tq, so each becomes a TqError 'BROKER_REFUSED' (exit 4) with the server's
 * words and a hint. Every other error reply (a Lua runtime error, WRONGTYPE,
 * a syntax error) means tq and its scripts disagree, which is a bug: it
 * passes through unchanged and keeps its stack. NOSCRIPT never gets here:
 * ioredis answers it by sending the script again.
 *
 * Redis 7 passes a refusal from inside a script on with its code first
 * ("OOM command not allowed … script: sha, on @user_script:12."); Redis 6
 * wraps it ("ERR Error running script …: -OOM …"). Both are matched: a code
 * at the start or after a '-'.
 */
interface Refusal {
  match: RegExp;
  /** Why, in a few words; the server's own text follows. */
  what: string;
  hint: string;
}

const code = (...codes: string[]) => new RegExp(`(?:^|-)(?:${codes.join('|')})\\b`);

/** The ACL line the README recommends (section "Redis ACL"). */
export const ACL_HINT_COMMANDS = '+@read +@write +@scripting +@pubsub +@connection -@dangerous +time +info +config|get +client|unblock';

const REFUSALS: readonly Refusal[] = [
  {
    match: code('OOM'),
    what: 'out of memory: maxmemory reached',
    hint: 'raise maxmemory (CONFIG SET maxmemory …) or free memory (drain or purge queues, shorten resultExpiresMs); keep maxmemory-policy noeviction, so Redis refuses writes rather than evicting queued tasks',
  },
  {
    // NOPERM outside scripts; inside, Redis 6.2/7.0 say "The user executing the script can't …", 7.2+ "ACL failure in script".
    match: /(?:^|-)NOPERM\b|user executing the script can't|ACL failure in script|has no permissions to|No permissions to access/,
    what: 'the ACL user may not do this',
    hint: `grant the ACL user tq's keys and channels (~{prefix}* &{prefix}*) and commands (+@all, or: ${ACL_HINT_COMMANDS}; see the README, "Redis ACL")`,
  },
  {
    match: code('NOAUTH'),
    what: 'a password is needed',
    hint: 'put the user and password in the broker URL: redis://user:password@host:port/db',
  },
  {
    match: /(?:^|-)WRONGPASS\b|invalid username-password pair|invalid password/,
    what: 'wrong user name or password',
    hint: 'check the user and password in the broker URL (redis://user:password@host:port/db), and that the ACL user is on',
  },
  {
    match: code('READONLY', 'MASTERDOWN'),
    what: 'a read-only replica',
    hint: 'point the broker URL at the primary: replicas refuse writes',
  },
  {
    match: code('LOADING'),
    what: 'still loading its data set',
    hint: 'wait until Redis has loaded (INFO persistence shows loading:0), then try again',
  },
  {
    match: code('MISCONF'),
    what: 'it cannot save to disk',
    hint: "fix Redis's persistence (disk space, permissions of its dir; its log says why)",
  },
  {
    match: code('BUSY'),
    what: 'busy running a script',
    hint: 'a long script is blocking Redis: wait for it, or end it with SCRIPT KILL',
  },
  {
    match: code('NOREPLICAS'),
    what: 'too few replicas for min-replicas-to-write',
    hint: 'bring the replicas back, or lower min-replicas-to-write',
  },
  {
    match: code('MOVED', 'ASK', 'CLUSTERDOWN', 'CROSSSLOT', 'TRYAGAIN'),
    what: 'a Redis Cluster node',
    hint: 'tq needs one standalone Redis (a primary), not Redis Cluster',
  },
  {
    match: /max number of clients reached/,
    what: 'maxclients reached',
    hint: 'raise maxclients in redis.conf, or close idle clients',
  },
  {
    match: /DB index is out of range/,
    what: 'no such database',
    hint: "use a database number below Redis's `databases` setting (16 by default) in the broker URL",
  },
  {
    // A managed Redis may rename or disable commands (CONFIG, EVAL…).
    match: /unknown command/i,
    what: 'a command tq needs is missing',
    hint: 'a managed Redis may rename or disable commands; tq needs those listed in the README ("Redis ACL")',
  },
];

/** The TqError for a Redis refusal, or undefined when `err` is not one (a bug, or not a reply at all). */
export function refusalOf(err: unknown, url: string, prefix: string, op: string): TqError | undefined {
  if (!(err instanceof ReplyError)) return undefined;
  const text = serverText((err as Error).message);
  const refusal = REFUSALS.find((r) => r.match.test(text));
  if (!refusal) return undefined;
  return new TqError('BROKER_REFUSED', `Redis at ${url} refused ${op} (${refusal.what}): ${text}`, {
    hint: refusal.hint.replaceAll('{prefix}', prefix),
    cause: err,
  });
}

/** The server's words on one line, without the script position Redis appends. */
function serverText(message: string): string {
  return message
    .replace(/\s*script: [0-9a-f]{40}, on @user_script:\d+\.?\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The connection as tq uses it: every call (commands, and scripts defined on
 * it) rejects with the TqError for a refusal instead of the raw ReplyError.
 * Wrapping the connection, rather than each call site, means no call can
 * forget it. ioredis's own calls inside the client (AUTH, SELECT, the ready
 * check, a script's NOSCRIPT fallback) run on the unwrapped object and see
 * what they expect.
 */
export function mapRefusals(redis: Redis, url: string, prefix: string): Redis {
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  const proxy: Redis = new Proxy(redis, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        const op = typeof prop === 'string' && prop.startsWith('tq_') ? prop.slice(3).replaceAll('_', '-') : String(prop).toUpperCase();
        wrapper = (...args: unknown[]) => {
          const result: unknown = (Reflect.get(target, prop, target) as (...a: unknown[]) => unknown).apply(target, args);
          // Chained calls (redis.on(…).on(…)) stay on the wrapped connection.
          if (!(result instanceof Promise)) return result === target ? proxy : result;
          return result.catch((err: unknown) => {
            throw refusalOf(err, url, prefix, op) ?? err;
          });
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
  return proxy;
}
