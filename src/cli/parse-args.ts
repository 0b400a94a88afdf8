import { Flags } from '@oclif/core';
import { LOG_LEVELS, parseLogLevel } from '../runtime/config-schema.js';
import { TqError } from '../runtime/errors.js';

/** `tq call add 2 3` → [2, 3]; `tq call send_mail a@b.c` → ["a@b.c"]: JSON when it parses, else the string. */
export function parsePositional(raw: readonly string[]): unknown[] {
  return raw.map((value) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  });
}

/** `--args '[…]'` / `--kwargs '{…}'`: must be valid JSON of the right shape. */
export function parseJsonFlag<T extends 'array' | 'object'>(name: string, raw: string | undefined, shape: T): (T extends 'array' ? unknown[] : Record<string, unknown>) | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new TqError('BAD_INPUT', `--${name} is not valid JSON: ${(err as Error).message}`, {
      hint: shape === 'array' ? `e.g. --${name} '[2, 3]'` : `e.g. --${name} '{"to": "a@b.c"}'`,
    });
  }
  const ok = shape === 'array' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!ok) throw new TqError('BAD_INPUT', `--${name} must be a JSON ${shape}`);
  return value as never;
}

/** Seconds from a flag: '30', '1.5'. */
export function parseSeconds(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new TqError('BAD_INPUT', `--${name} must be a number of seconds, got '${raw}'`);
  return value;
}

/**
 * `-l LEVEL` for worker and beat: any case, and Celery's names (`-l INFO`,
 * `-l WARNING`), as Celery users type them. A level it does not know is passed
 * on as typed and refused by config (exit 2, listing the levels), since an
 * error thrown here would reach the user wrapped in oclif's parse message.
 */
export const logLevelFlag = () =>
  Flags.string({
    char: 'l',
    description: `log level: ${LOG_LEVELS.join(' | ')} (any case; also Celery's WARNING, CRITICAL)`,
    parse: async (raw) => parseLogLevel(raw) ?? raw,
  });
