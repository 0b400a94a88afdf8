import type { LogLevel } from './config.js';

/**
 * Celery-like log lines: `[2026-11-23 10:00:00,123: INFO/worker] message`.
 * Colours only when the stream is a TTY and NO_COLOR is unset (decided by the
 * caller, who knows the environment; the runtime never reads process.env).
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(name: string): Logger;
  /** Whether lines of `level` are written: callers skip building lines nobody reads. */
  enabled(level: LogLevel): boolean;
  /** Passes an already formatted line (e.g. a child process's output) through the same sink. */
  raw(line: string, level: LogLevel): void;
}

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
  const emit = (lvl: LogLevel, message: string) => {
    if (ORDER[lvl] < level) return;
    const text = message.length > MAX_LOG_LINE ? `${message.slice(0, MAX_LOG_LINE - 20)}… (truncated)` : message;
    if (options.json) {
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, name, message: text }), lvl);
      return;
    }
    const tag = `${lvl.toUpperCase()}/${name}`;
    const head = options.color ? `${COLORS[lvl]}${tag}\x1b[0m` : tag;
    write(`[${timestamp()}: ${head}] ${text}`, lvl);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (child) => createLogger({ ...options, name: `${name}.${child}` }),
    enabled: (lvl) => ORDER[lvl] >= level,
    raw: (line, lvl) => write(line.length > MAX_LOG_LINE ? `${line.slice(0, MAX_LOG_LINE - 20)}… (truncated)` : line, lvl),
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

function timestamp(): string {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}
