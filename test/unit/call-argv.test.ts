import { Parser } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { TqCommand } from '../../src/cli/base-command.js';
import { CALL_FLAGS, parseCallArgv } from '../../src/cli/call-argv.js';
import CallCommand from '../../src/commands/call.js';

const OCLIF_FLAGS = { ...TqCommand.baseFlags, ...CallCommand.flags } as Record<string, { type: string; char?: string; allowNo?: boolean; default?: unknown; min?: number; max?: number }>;

/** What oclif makes of a `tq call` command line (as Command.parse does), or the error it ends with. */
async function oclifParse(argv: string[]) {
  try {
    const out = await Parser.parse(argv, { flags: OCLIF_FLAGS as never, args: CallCommand.args, strict: CallCommand.strict });
    return { name: out.args.name as string, positional: (out.argv as string[]).slice(1), flags: out.flags as Record<string, unknown> };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Command lines `tq call`'s fast path reads itself: each must come out exactly as oclif reads it. */
const READ_ALIKE: string[][] = [
  ['add', '2', '3'],
  ['send_mail', 'xx@gmail.com'],
  ['add', '--wait', '2', '3'],
  ['add', '2', '3', '-w', '--timeout', '30'],
  ['add', '--args', '[2, 3]', '--json'],
  ['report', '--kwargs', '{"day":"2026-11-23"}', '--countdown', '60'],
  ['add', '-1', '-2.5', '-'],
  ['add', '--queue=hi', '--priority', '0'],
  ['add', '-qlo2'],
  ['add', '-q', 'hi', '--priority=9', '--task-id', 'id-1', '--time-limit', '5', '--soft-time-limit', '4'],
  ['add', '-q=hi', '--eta', '2026-01-01T00:00:00Z', '--expires', '60'],
  ['add', '--no-check', '1'],
  ['add', '--check', '--no-check', '--check'],
  ['add', '--broker', 'sqlite:///tmp/x.db'],
  ['add', '-bsqlite:///tmp/x.db', '--backend', 'redis://h:6379/1', '--tasks', 'tasks', '--config', 'tq.config.json'],
  ['add', '--queue', '-5'],
  ['add', '--queue='],
  ['add', '--queue', '3', '2', '3'],
  ['add', '--queue', '1', 'add', '1'],
  ['add', '--wait', '--wait', '1'],
  ['add', '--countdown', 'soon'],
];

/** Command lines it leaves to oclif: help, and whatever oclif refuses or reads in its own odd way. */
const LEFT_TO_OCLIF: string[][] = [
  [],
  ['--help'],
  ['add', '-h'],
  ['add', '--', '--wait'],
  ['add', '--queue', 'a', '--queue', 'b'],
  ['add', '--queue'],
  ['add', '--queue', '--wait'],
  ['add', '-q', '-w'],
  ['add', '--nope', '1'],
  ['add', '-x'],
  ['add', '-wq', 'hi'],
  ['add', '--wait=true'],
  ['add', '--no-wait'],
  ['add', '--priority', '10'],
  ['add', '--priority', '-1'],
  ['add', '--priority', 'high'],
  ['--wait'],
];

describe("tq call's fast command-line reader", () => {
  it('knows the same flags as the oclif command: names, letters, kinds, --no- and defaults', () => {
    const kind = (f: (typeof OCLIF_FLAGS)[string]) => (f.type === 'boolean' ? 'boolean' : f.min !== undefined || f.max !== undefined ? 'integer' : 'string');
    const fromOclif = Object.fromEntries(Object.entries(OCLIF_FLAGS).map(([name, f]) => [name, {
      kind: kind(f), char: f.char, allowNo: f.allowNo || undefined, default: f.default as boolean | undefined, min: f.min, max: f.max,
    }]));
    const ours = Object.fromEntries(Object.entries(CALL_FLAGS).map(([name, f]) => [name, { kind: f.kind, char: f.char, allowNo: f.allowNo, default: f.default, min: f.min, max: f.max }]));
    expect(ours).toEqual(fromOclif);
  });

  it.each(READ_ALIKE.map((argv) => [argv.join(' '), argv]))('reads `tq call %s` as oclif does', async (_, argv) => {
    const ours = parseCallArgv(argv as string[]);
    expect(ours).toBeDefined();
    expect(ours).toEqual(await oclifParse(argv as string[]));
  });

  it.each(LEFT_TO_OCLIF.map((argv) => [argv.join(' '), argv]))('leaves `tq call %s` to oclif', (_, argv) => {
    expect(parseCallArgv(argv as string[])).toBeUndefined();
  });

  it('hands on the arguments in the order oclif does, even where that is not the typed order', async () => {
    // oclif sorts its argv by where each value first occurs on the line, and '3' first occurs as --queue's value.
    expect(parseCallArgv(['add', '--queue', '3', '2', '3'])?.positional).toEqual(['3', '2']);
    expect((await oclifParse(['add', '--queue', '3', '2', '3'])).positional).toEqual(['3', '2']);
  });
});
