import { Command, Flags } from '@oclif/core';
import type { Stores } from '../runtime/brokers/index.js';
import { clientFor, type Client } from '../runtime/client.js';
import type { TqConfig, TqConfigInput } from '../runtime/config.js';
import { wantsColor } from '../ui/dashboard/output-mode.js';
import { resolveCommandConfig, type ProjectFlags } from './command-config.js';
import { reportCommandError } from './error-output.js';

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

  /** Resolves config once: defaults → file → TQ_* env → these flags (see command-config.ts). */
  protected async resolveTqConfig(flags: ProjectFlags, extra: TqConfigInput = {}): Promise<TqConfig> {
    this.tqConfig = await resolveCommandConfig(flags, extra);
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
    if (reportCommandError(err)) return;
    return super.catch(err);
  }
}

