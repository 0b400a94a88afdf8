import type { LogLevel } from '../../runtime/config.js';

export interface OutputModeInput {
  /** --tui / --no-tui; undefined when not given. */
  tui: boolean | undefined;
  json: boolean;
  isTTY: boolean;
  ci: boolean;
}

/** The live dashboard on a terminal; plain log lines (or JSON lines) with --no-tui, --json, off a TTY, or under CI. */
export function wantsDashboard(input: OutputModeInput): boolean {
  if (input.tui === false || input.json || !input.isTTY) return false;
  return input.tui === true || !input.ci;
}

export interface ColorInput {
  /** Whether the stream written to is a terminal. */
  isTTY: boolean;
  /** NO_COLOR is set (and not empty). */
  noColor: boolean;
  /** CI is set: a build log, even when the runner gives the process a pty. */
  ci: boolean;
}

/**
 * The one rule for colour in everything tq prints: only on a terminal, never
 * with NO_COLOR, never under CI. FORCE_COLOR does not turn tq's own colours on
 * (a CI log that wants them can leave CI unset).
 */
export function wantsColor(input: ColorInput): boolean {
  return input.isTTY && !input.noColor && !input.ci;
}

/**
 * Where the worker's log lines go: stdout/stderr by level, or into the
 * dashboard while it runs (a line written straight to the terminal would tear its frame).
 */
export class LineRouter {
  private target: ((line: string, level: LogLevel) => void) | undefined;

  readonly write = (line: string, level: LogLevel): void => {
    if (this.target) return this.target(line, level);
    (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
  };

  to(target: ((line: string, level: LogLevel) => void) | undefined): void {
    this.target = target;
  }
}
