import type { Broker, BrokerOptions } from '../broker.js';
import type { FusedStore } from '../fused.js';
import { RedisBroker } from './redis-broker.js';

export { RedisBroker } from './redis-broker.js';

/** What brokers/index.ts calls for `redis://` and `rediss://` URLs. */
export function createRedisBroker(options: BrokerOptions): FusedStore {
  return new RedisBroker(options);
}

/**
 * The broker's Redis `maxmemory-policy` (anything but `noeviction` can lose
 * queued messages), or null when the broker is not Redis or the server names
 * none. Throws BROKER_REFUSED when the server will not say (no CONFIG
 * permission). The worker warns on both, and refuses to start with `--strict`.
 */
export async function checkEvictionPolicy(broker: Broker): Promise<string | null> {
  if (broker instanceof RedisBroker) return broker.evictionPolicy();
  // Celery's layout on Redis (src/runtime/celery/) answers the same question of its own connection.
  const other = broker as Partial<Pick<RedisBroker, 'evictionPolicy'>>;
  return typeof other.evictionPolicy === 'function' ? other.evictionPolicy() : null;
}

/** Throws BROKER_REFUSED when a worker could not do its work on this Redis (ACL, out of memory, a replica…). */
export async function checkAccess(broker: Broker): Promise<void> {
  if (broker instanceof RedisBroker) await broker.checkAccess();
}
