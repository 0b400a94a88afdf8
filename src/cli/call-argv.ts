import type { CallFlags } from './call-run.js';

/** How `tq call`'s fast path reads a flag: the same names, letters and kinds as commands/call.ts and TqCommand.baseFlags. */
export interface CallFlagSpec {
  kind: 'string' | 'boolean' | 'integer';
  char?: string;
  /** --no-NAME sets it false. */
  allowNo?: boolean;
  default?: boolean;
  min?: number;
  max?: number;
}

/** Checked against the oclif definitions by test/unit/call-argv.test.ts, so the two cannot drift apart. */
export const CALL_FLAGS: Readonly<Record<string, CallFlagSpec>> = {
  broker: { kind: 'string', char: 'b' },
  backend: { kind: 'string' },
  tasks: { kind: 'string' },
  config: { kind: 'string' },
  args: { kind: 'string' },
  kwargs: { kind: 'string' },
  countdown: { kind: 'string' },
  eta: { kind: 'string' },
  expires: { kind: 'string' },
  queue: { kind: 'string', char: 'q' },
  priority: { kind: 'integer', min: 0, max: 9 },
  'task-id': { kind: 'string' },
  'time-limit': { kind: 'string' },
  'soft-time-limit': { kind: 'string' },
  wait: { kind: 'boolean', char: 'w' },
  timeout: { kind: 'string' },
  check: { kind: 'boolean', allowNo: true, default: true },
  json: { kind: 'boolean' },
};

export interface ParsedCall {
  name: string;
  /** ARGS after NAME, as oclif hands them to the command. */
  positional: string[];
  flags: CallFlags;
}

/**
 * Reads `tq call`'s command line (what follows `call`) as oclif's parser
 * does, for the command lines it can read exactly; for any other it returns
 * undefined and the caller leaves the command to oclif, which then prints its
 * help or its own error. So this never has to reproduce one of oclif's
 * messages: help (-h, --help), `--`, a flag given twice, a flag without its
 * value, an unknown flag (oclif, not strict here, passes it on as an
 * argument), short booleans run together, a bad --priority, a missing NAME.
 */
export function parseCallArgv(argv: readonly string[]): ParsedCall | undefined {
  const tokens: string[] = [];
  const values: Record<string, string | number | boolean> = {};
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--help' || token === '-h' || token === '--') return undefined;
    if (!token.startsWith('-') || token === '-') {
      tokens.push(token);
      continue;
    }
    let name = findFlag(token);
    let inline: string | undefined;
    if (name === undefined && token.startsWith('--') && token.includes('=')) {
      name = findFlag(token.slice(0, token.indexOf('=')));
      inline = token.slice(token.indexOf('=') + 1);
      // `--wait=…`: oclif takes the flag and passes what follows '=' on as an argument.
      if (name === undefined || CALL_FLAGS[name]!.kind === 'boolean') return undefined;
    }
    if (name === undefined) {
      if (!/^-\d/.test(token)) return undefined;
      tokens.push(token); // a negative number is an argument
      continue;
    }
    const spec = CALL_FLAGS[name]!;
    const isLong = token.startsWith('--');
    if (spec.kind === 'boolean') {
      if (!isLong && token.length > 2) return undefined;
      values[name] = !token.startsWith('--no-');
      continue;
    }
    if (given.has(name)) return undefined;
    given.add(name);
    const input = inline ?? (isLong || token.length < 3 ? argv[++i] : token.slice(token[2] === '=' ? 3 : 2));
    if (input === undefined || findFlag(input) !== undefined) return undefined;
    if (spec.kind === 'integer') {
      if (!/^-?\d+$/.test(input)) return undefined;
      const n = Number.parseInt(input, 10);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return undefined;
      values[name] = n;
    } else {
      values[name] = input;
    }
  }
  const name = tokens[0];
  if (name === undefined) return undefined;
  for (const [flag, spec] of Object.entries(CALL_FLAGS)) if (!(flag in values) && spec.default !== undefined) values[flag] = spec.default;
  // oclif orders the arguments it hands on by where each value first occurs on the command line.
  const ordered = [...tokens].sort((a, b) => argv.indexOf(a) - argv.indexOf(b));
  return { name, positional: ordered.slice(1), flags: values as unknown as CallFlags };
}

/** The flag a token names, as oclif's parser finds it: --NAME, --no-NAME (allowNo), or -C by its first letter. */
function findFlag(token: string): string | undefined {
  if (token.startsWith('--')) {
    const long = token.slice(2);
    if (CALL_FLAGS[long]) return long;
    if (token.startsWith('--no-')) {
      const negated = token.slice(5);
      if (CALL_FLAGS[negated]?.kind === 'boolean' && CALL_FLAGS[negated].allowNo) return negated;
    }
    return undefined;
  }
  if (!token.startsWith('-')) return undefined;
  const char = token[1];
  return char === undefined ? undefined : Object.keys(CALL_FLAGS).find((k) => CALL_FLAGS[k]!.char === char);
}
