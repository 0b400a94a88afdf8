import { EXIT_CODES, TqError } from '../runtime/errors.js';
import { FIELD_MAX_CHARS, safeLines } from '../runtime/safe-text.js';

/**
 * The one place a command's error becomes output, shared by TqCommand.catch
 * and `tq call`'s fast path. A user error (TqError with userError) prints one
 * line and a hint, no stack, sets the exit code and returns true. Anything
 * else is a bug: its message and stack are neutralised for the terminal and
 * false is returned, for oclif's handler to print it and exit 1.
 */
export function reportCommandError(err: Error): boolean {
  // Messages echo task names, ids and remote errors: printed through the neutraliser, bounded.
  if (err instanceof TqError && err.userError) {
    process.stderr.write(`Error: ${safeLines(err.message, FIELD_MAX_CHARS)}\n`);
    if (err.hint) process.stderr.write(`Hint: ${safeLines(err.hint, FIELD_MAX_CHARS)}\n`);
    process.exitCode = EXIT_CODES[err.code];
    return true;
  }
  if (typeof err.message === 'string') err.message = safeLines(err.message, FIELD_MAX_CHARS);
  if (typeof err.stack === 'string') err.stack = safeLines(err.stack);
  return false;
}
