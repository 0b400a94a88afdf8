/**
 * Text from tasks and messages (names, ids, errors, tracebacks, log lines,
 * progress notes, results, arguments) is untrusted: printed raw, an escape
 * sequence in it could retitle the terminal, clear it, move the cursor, or
 * forge a log line. Every human-readable output passes such text through this
 * module, which makes control characters visible (`\x1b`, `\x9b`, `\n`)
 * instead of letting the terminal act on them, and caps how much one field
 * prints. JSON output keeps every value exact (`safeJson`).
 *
 * It lives in the runtime, not in ui/, because the logger (runtime/log.ts)
 * formats terminal lines too; it imports nothing.
 */

/** Most characters one field prints (an error that echoes a 100 KB task name prints this much and a count). */
export const FIELD_MAX_CHARS = 2000;
/** Most characters a multi-line block prints (a traceback, a value printed alone). */
export const BLOCK_MAX_CHARS = 20_000;

// C0 controls, DEL, C1 controls (U+0080–U+009F, U+009B is a one-character CSI), the
// line and paragraph separators, and the bidirectional embeddings, overrides and
// isolates (they reorder what is shown, as in "Trojan Source").
const UNSAFE_IN_LINE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same, but keeping the tab and newline a multi-line field prints on purpose (a carriage return is still shown).
const UNSAFE_IN_BLOCK = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// What JSON.stringify leaves raw: it escapes C0 in strings, but not DEL, C1 or the separators.
const UNSAFE_IN_JSON = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SGR = /\x1b\[[0-9;:]*m/g;
const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One line of text, safe to print: every control character made visible, at most `max` characters of the original. */
export function safeText(text: string, max = FIELD_MAX_CHARS): string {
  return neutralise(text, max, UNSAFE_IN_LINE);
}

/** Text of several lines (a traceback): newlines and tabs kept, every other control character made visible. */
export function safeLines(text: string, max = BLOCK_MAX_CHARS): string {
  return neutralise(text, max, UNSAFE_IN_BLOCK);
}

/**
 * JSON for output: JSON.stringify, with the characters it leaves raw (DEL, C1,
 * separators, bidi controls) written as \u escapes. Those occur only inside
 * strings, so every value parses back exactly as it was.
 */
export function safeJson(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space) ?? 'null';
  return text.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Removes colour and style sequences (SGR, `ESC [ … m`): for lines whose colours tq decides again itself. */
export function stripSgr(text: string): string {
  return text.replace(SGR, '');
}

/** At most `max` characters of `text` (no escaping): a bounded preview that says how much it left out. */
export function clip(text: string, max: number): string {
  const { shown, left } = cut(text, max);
  return left > 0 ? `${shown}${more(left)}` : shown;
}

function neutralise(text: string, max: number, unsafe: RegExp): string {
  const { shown, left } = cut(text, max);
  const safe = shown.replace(unsafe, visible);
  return left > 0 ? `${safe}${more(left)}` : safe;
}

function cut(text: string, max: number): { shown: string; left: number } {
  if (text.length <= max) return { shown: text, left: 0 };
  // Never end on the first half of a character that takes two UTF-16 units (an emoji, say).
  const end = Math.max(0, isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max);
  return { shown: text.slice(0, end), left: text.length - end };
}

const more = (left: number) => `… (${left} more chars)`;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
