import { format } from 'node:util';
import { clientFor, type Client } from '../runtime/client.js';
import { parseCallArgv } from './call-argv.js';
import { runCall } from './call-run.js';
import { resolveCommandConfig } from './command-config.js';
import { reportCommandError } from './error-output.js';

/**
 * `tq call` without oclif: bin/run.js tries this first, since loading oclif
 * took most of a call's wall time. It reads the command line with
 * call-argv.ts and runs the same runCall as commands/call.ts, printing as
 * oclif's Command.log does and reporting errors through the same
 * reportCommandError. Returns false, having done nothing, for a command line
 * it leaves to oclif (help, or one oclif would refuse or read its own way).
 */
export async function callWithoutOclif(argv: readonly string[]): Promise<boolean> {
  const parsed = parseCallArgv(argv);
  // ARGS and --args together end in oclif's own error form (CallIo.refuse): oclif prints it.
  if (!parsed || (parsed.flags.args !== undefined && parsed.positional.length > 0)) return false;
  const opened: Client[] = [];
  let failure: unknown;
  try {
    await runCall(parsed.name, parsed.positional, parsed.flags, {
      resolveConfig: (flags) => resolveCommandConfig(flags),
      openClient: async (config) => {
        const client = await clientFor(config);
        opened.push(client);
        return client;
      },
      log: (text) => console.log(format(text)),
      logToStderr: (text) => console.error(format(text)),
      refuse: (message) => {
        throw new Error(`the fast path should have left this to oclif: ${message}`);
      },
    });
  } catch (err) {
    failure = reportCommandError(err as Error) ? undefined : err;
  } finally {
    // As TqCommand.finally: after the error is reported, before the process ends.
    await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
  }
  if (failure !== undefined) await reportBug(failure as Error & { exitCode?: number });
  return true;
}

/** A bug is printed and exits as oclif prints any command's (Command.catch, then its handle()). */
async function reportBug(err: Error & { exitCode?: number }): Promise<void> {
  process.exitCode = process.exitCode ?? err.exitCode ?? 1;
  const { handle } = await import('@oclif/core');
  await handle(err);
}
