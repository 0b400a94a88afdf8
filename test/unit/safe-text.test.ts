import { describe, expect, it } from 'vitest';
import { clip, FIELD_MAX_CHARS, safeJson, safeLines, safeText, stripSgr } from '../../src/runtime/safe-text.js';
import { HOSTILE, HOSTILE_SHOWN, TERMINAL_CONTROL as CONTROL } from '../support/hostile.js';

describe('safeText', () => {
  it('makes ESC sequences, BEL and the C1 CSI visible instead of letting the terminal act on them', () => {
    expect(safeText(HOSTILE)).toBe(HOSTILE_SHOWN);
    expect(safeText(HOSTILE)).not.toMatch(CONTROL);
  });

  it('shows every C0 and C1 character and DEL, tab and newline included (one line stays one line)', () => {
    const all = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join('');
    const safe = safeText(all);
    expect(safe).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(safe).toContain('\\t');
    expect(safe).toContain('\\n');
    expect(safe).toContain('\\r');
    expect(safe).toContain('\\x00');
    expect(safe).toContain('\\x7f');
    expect(safe).toContain('\\x85');
    expect(safe.slice(safe.indexOf(' '), safe.indexOf('~') + 1)).toBe(all.slice(0x20, 0x7f)); // printable ASCII untouched
  });

  it('shows line separators and bidi overrides, and leaves other Unicode alone', () => {
    expect(safeText('a\u2028b\u202ec\u2066d')).toBe('a\\u2028b\\u202ec\\u2066d');
    expect(safeText('Grüße, 世界 😀')).toBe('Grüße, 世界 😀');
  });

  it('prints a bounded preview of a huge field and says how much it left out', () => {
    const name = 'x'.repeat(100_000);
    const shown = safeText(`unknown task '${name}'`);
    expect(shown.length).toBeLessThan(FIELD_MAX_CHARS + 40);
    expect(shown).toMatch(new RegExp(`^unknown task 'x+… \\(${"unknown task ''".length + 100_000 - FIELD_MAX_CHARS} more chars\\)$`));
    expect(safeText('abcdef', 3)).toBe('abc… (3 more chars)');
  });

  it('never cuts a character in half', () => {
    expect(safeText('ab😀cd', 3)).toBe('ab… (4 more chars)');
  });

  it('is idempotent: what it printed is printed the same again', () => {
    expect(safeText(safeText(HOSTILE))).toBe(safeText(HOSTILE));
  });
});

describe('safeLines', () => {
  it('keeps the newlines and tabs of a traceback, and shows everything else', () => {
    const stack = `Error: boom ${HOSTILE}\n\tat fn (tasks/x.ts:1:1)\r\n    at run`;
    const safe = safeLines(stack);
    expect(safe).toBe('Error: boom A\\x1b]0;pwned\\x07B\\x1b[2JC\\x9b31mD\n\tat fn (tasks/x.ts:1:1)\\r\n    at run');
    expect(safe).not.toMatch(CONTROL);
  });
});

describe('safeJson', () => {
  it('escapes what JSON.stringify leaves raw (C1, DEL, separators), and parses back to the exact value', () => {
    const value = { message: HOSTILE, del: '\x7f', sep: '\u2028', nested: [{ note: '\u009b2J' }] };
    expect(JSON.stringify(value)).toMatch(/[\x7f-\x9f]/); // the gap it closes
    const text = safeJson(value);
    expect(text).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
    expect(safeJson({ a: 1 }, 2)).toBe('{\n  "a": 1\n}');
  });
});

describe('stripSgr and clip', () => {
  it('drops colour sequences only', () => {
    expect(stripSgr('\x1b[32mINFO\x1b[0m \x1b[1;31mred\x1b[m \x1b]0;t\x07')).toBe('INFO red \x1b]0;t\x07');
  });

  it('clips without escaping', () => {
    expect(clip('abcdef', 4)).toBe('abcd… (2 more chars)');
    expect(clip('abc', 4)).toBe('abc');
  });
});
