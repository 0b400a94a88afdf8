import type { LogLevel } from './config.js';
import { clip, safeJson, safeText, stripSgr } from './safe-text.js';

/**
 * Celery-like log lines: `[2026-11-23 10:00:00,123: INFO/worker] message`.
 * Colours only when the caller says so (it knows the terminal and the
 * environment; the runtime never reads process.env). Messages carry text from
 * tasks, so a text line shows their control characters escaped (safe-text.ts);
 * a JSON line keeps them exact, and adds the `fields` a call gives.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(name: string): Logger;
  /** Whether lines of `level` are written: callers skip building lines nobody reads. */
  enabled(level: LogLevel): boolean;
  /** Passes an already formatted line (e.g. a child process's output) through the same sink. */
  raw(line: string, level: LogLevel): void;
}

/** Structured details of a line (task id, name, runtime…): JSON lines carry them as fields; text lines have them in the message. */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface LoggerOptions {
  level?: LogLevel;
  name?: string;
  color?: boolean;
  /** Where lines go; default stderr for warn/error, stdout otherwise. */
  write?: (line: string, level: LogLevel) => void;
  /** Emit JSON lines instead of text. */
  json?: boolean;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const COLORS: Record<LogLevel, string> = { debug: '\x1b[90m', info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m' };
/** No single log line may flood a terminal or a log store. */
export const MAX_LOG_LINE = 2000;
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = ORDER[options.level ?? 'info'];
  const name = options.name ?? 'tq';
  const write = options.write ?? defaultWrite;
  const text = (stamp: string, lvl: LogLevel, from: string, message: string) => {
    const tag = `${lvl.toUpperCase()}/${from}`;
    return `[${stamp}: ${options.color ? `${COLORS[lvl]}${tag}\x1b[0m` : tag}] ${safeText(message, MAX_LOG_LINE)}`;
  };
  const json = (lvl: LogLevel, from: string, message: string, fields?: LogFields, time = new Date().toISOString()) => {
    const line: Record<string, unknown> = { time, level: lvl, name: from, message: clip(message, MAX_LOG_LINE) };
    for (const [key, value] of Object.entries(fields ?? {})) if (!(key in line) && value !== undefined) line[key] = value;
    return safeJson(line);
  };
  const emit = (lvl: LogLevel, message: string, fields?: LogFields) => {
    if (ORDER[lvl] < level) return;
    write(options.json ? json(lvl, name, message, fields) : text(timestamp(), lvl, name, message), lvl);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (child) => createLogger({ ...options, name: `${name}.${child}` }),
    enabled: (lvl) => ORDER[lvl] >= level,
    // Another process's output (an executor: its log lines, a task's console.log) is
    // untrusted too. A JSON line of this logger's shape (executors log JSON to their
    // parent) is written again as this logger writes, text or JSON; any other line is
    // neutralised with its colours dropped, and with --json becomes a message of its own.
    raw: (line, lvl) => {
      const entry = parseJsonLine(line);
      if (entry) {
        const { time, level: at, name: from, message, ...fields } = entry;
        return write(options.json ? json(at, from, message, fields, time) : text(timestamp(new Date(time)), at, from, message), at);
      }
      const plain = stripSgr(line);
      write(options.json ? json(lvl, name, plain) : safeText(plain, MAX_LOG_LINE), lvl);
    },
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
  enabled: () => false,
  raw() {},
};

function defaultWrite(line: string, lvl: LogLevel): void {
  (ORDER[lvl] >= ORDER.warn ? process.stderr : process.stdout).write(`${line}\n`);
}

/** A JSON line as `createLogger({ json: true })` writes it, or null. */
function parseJsonLine(line: string): ({ time: string; level: LogLevel; name: string; message: string } & Record<string, LogFields[string]>) | null {
  if (!line.startsWith('{"time":')) return null;
  try {
    const e = JSON.parse(line) as Record<string, unknown>;
    const fieldsOk = Object.values(e).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
    const ok = typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)) && typeof e.level === 'string' && e.level in ORDER && typeof e.name === 'string' && typeof e.message === 'string';
    return ok && fieldsOk ? (e as never) : null;
  } catch {
    return null;
  }
}

function timestamp(d = new Date()): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}
