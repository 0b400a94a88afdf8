import { sqliteHarness, type BrokerHarness } from './harness.js';
import { redisHarness } from './redis-harness.js';

/** Every broker the contract suite runs against. */
export const harnesses: BrokerHarness[] = [sqliteHarness, redisHarness];
