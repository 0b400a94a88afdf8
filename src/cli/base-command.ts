import { Command, Flags, type Interfaces } from '@oclif/core';
import { resolve } from 'node:path';
import type { Stores } from '../runtime/brokers/index.js';
import { clientFor, type Client } from '../runtime/client.js';
import { resolveConfig, type LogLevel, type TqConfig, type TqConfigInput } from '../runtime/config.js';
import { EXIT_CODES, TqError } from '../runtime/errors.js';
import { FIELD_MAX_CHARS, safeLines } from '../runtime/safe-text.js';
import { wantsColor } from '../ui/dashboard/output-mode.js';

/**
 * What every tq command shares: the flags that pick a project and a broker,
 * config resolution, and the one place errors become output and exit codes.
 * User errors (TqError with userError) print one line and a hint, no stack;
 * anything else is a bug and keeps oclif's stack output.
 */
export abstract class TqCommand extends Command {
  static override baseFlags = {
    broker: Flags.string({ char: 'b', description: 'broker URL (sqlite://PATH, redis://host:port/db or amqp://user:pass@host:5672/vhost)', helpGroup: 'GLOBAL' }),
    backend: Flags.string({ description: 'result backend URL (sqlite://PATH or redis://host:port/db; default: the broker)', helpGroup: 'GLOBAL' }),
    tasks: Flags.string({ description: 'directory of task files (default ./tasks)', helpGroup: 'GLOBAL' }),
    config: Flags.string({ description: 'config file (default tq.config.{ts,js,json})', helpGroup: 'GLOBAL' }),
  };

  protected tqConfig?: TqConfig;
  private opened: Client[] = [];

  /**
   * Resolves config once: defaults → file → TQ_* env → these flags. Paths given
   * as flags are relative to where the command was typed, as a shell path is;
   * paths in config and the environment are relative to the project root.
   */
  protected async resolveTqConfig(flags: Interfaces.InferredFlags<typeof TqCommand.baseFlags>, extra: TqConfigInput = {}): Promise<TqConfig> {
    // -l on any command (worker, beat) is checked once, as worker.loglevel, like TQ_LOGLEVEL.
    const { loglevel } = flags as { loglevel?: string };
    this.tqConfig = await resolveConfig({
      configFile: flags.config === undefined ? undefined : resolve(flags.config),
      overrides: {
        ...extra,
        brokerUrl: flags.broker ?? extra.brokerUrl,
        backendUrl: flags.backend ?? extra.backendUrl,
        tasksDir: flags.tasks === undefined ? extra.tasksDir : resolve(flags.tasks),
        worker: { loglevel: loglevel as LogLevel | undefined, ...extra.worker },
      },
      describeOverride: flagName,
    });
    return this.tqConfig;
  }

  /** Opens a client on the configured broker; closed automatically when the command ends. */
  protected async openClient(config: TqConfig): Promise<Client> {
    const client = await clientFor(config);
    this.opened.push(client);
    return client;
  }

  /** The broker and backend of the configured deployment, closed when the command ends. */
  protected async openStores(config: TqConfig): Promise<Stores> {
    return (await this.openClient(config)).stores;
  }

  /** Colour only on a TTY, never with NO_COLOR or under CI (the one rule: wantsColor). */
  protected color(stream: NodeJS.WriteStream = process.stdout): boolean {
    return wantsColor({ isTTY: Boolean(stream.isTTY), noColor: this.tqConfig?.terminal.noColor ?? false, ci: this.tqConfig?.terminal.ci ?? false });
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    await Promise.all(this.opened.map((c) => c.close().catch(() => undefined)));
    return super.finally(err);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    // Messages echo task names, ids and remote errors: printed through the neutraliser, bounded.
    if (err instanceof TqError && err.userError) {
      process.stderr.write(`Error: ${safeLines(err.message, FIELD_MAX_CHARS)}\n`);
      if (err.hint) process.stderr.write(`Hint: ${safeLines(err.hint, FIELD_MAX_CHARS)}\n`);
      process.exitCode = EXIT_CODES[err.code];
      return;
    }
    if (typeof err.message === 'string') err.message = safeLines(err.message, FIELD_MAX_CHARS);
    if (typeof err.stack === 'string') err.stack = safeLines(err.stack);
    return super.catch(err);
  }
}

/** The flag that sets a config path, for errors: worker.prefetchMultiplier → --prefetch-multiplier. */
function flagName(path: string): string {
  const special: Record<string, string> = { brokerUrl: '--broker', backendUrl: '--backend', tasksDir: '--tasks' };
  const key = path.split('.').at(-1)!;
  return special[path] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
