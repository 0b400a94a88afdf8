import { TqError } from '../runtime/errors.js';

// The value parsers of the CLI, without oclif: `tq call`'s fast path (call-fast.ts) uses them too.

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
