import { resolve } from 'node:path';
import { resolveConfig, type LogLevel, type TqConfig, type TqConfigInput } from '../runtime/config.js';

/** The flags every command has (TqCommand.baseFlags), as parsed. */
export interface ProjectFlags {
  broker?: string;
  backend?: string;
  tasks?: string;
  config?: string;
  /** -l on worker and beat. */
  loglevel?: string;
}

/**
 * Resolves config once: defaults → file → TQ_* env → these flags. Paths given
 * as flags are relative to where the command was typed, as a shell path is;
 * paths in config and the environment are relative to the project root.
 * Without oclif, so `tq call`'s fast path (call-fast.ts) resolves it the same way.
 */
export function resolveCommandConfig(flags: ProjectFlags, extra: TqConfigInput = {}): Promise<TqConfig> {
  // -l on any command (worker, beat) is checked once, as worker.loglevel, like TQ_LOGLEVEL.
  return resolveConfig({
    configFile: flags.config === undefined ? undefined : resolve(flags.config),
    overrides: {
      ...extra,
      brokerUrl: flags.broker ?? extra.brokerUrl,
      backendUrl: flags.backend ?? extra.backendUrl,
      tasksDir: flags.tasks === undefined ? extra.tasksDir : resolve(flags.tasks),
      worker: { loglevel: flags.loglevel as LogLevel | undefined, ...extra.worker },
    },
    describeOverride: flagName,
  });
}

/** The flag that sets a config path, for errors: worker.prefetchMultiplier → --prefetch-multiplier. */
function flagName(path: string): string {
  const special: Record<string, string> = { brokerUrl: '--broker', backendUrl: '--backend', tasksDir: '--tasks' };
  const key = path.split('.').at(-1)!;
  return special[path] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
