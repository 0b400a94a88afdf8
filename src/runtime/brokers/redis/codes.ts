import { TqError } from '../../errors.js';

/**
 * Negative replies of the Lua scripts, mapped to outcomes in one place.
 * A lost lease is an expected answer (the caller returns false or
 * `accepted: false`); any other negative reply means the scripts and this
 * code disagree, which is a bug.
 */
export const LEASE_LOST = -1;

/** True when the fenced operation went through, false when its lease was lost. */
export function fenced(reply: number, script: string): boolean {
  if (reply >= 0) return true;
  if (reply === LEASE_LOST) return false;
  throw new TqError('BROKER_CORRUPT', `Redis script ${script} answered ${reply}, which tq does not know`, { userError: false });
}
