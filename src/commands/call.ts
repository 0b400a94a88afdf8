import { Args, Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { runCall } from '../cli/call-run.js';

/**
 * `tq call`. bin/run.js usually runs it without oclif (cli/call-fast.ts, with
 * the same flags, parsed by cli/call-argv.ts); this class is what `tq help
 * call` shows and what runs any command line the fast path leaves to oclif.
 */
export default class CallCommand extends TqCommand {
  static override description = 'Send a task by name. Each argument is JSON when it parses as JSON, else a string.';
  static override examples = ['<%= config.bin %> call send_mail xx@gmail.com', '<%= config.bin %> call add 2 3 --wait', `<%= config.bin %> call report --kwargs '{"day":"2026-11-23"}' --countdown 60`];
  static override strict = false;
  static override args = { name: Args.string({ required: true, description: 'task name' }) };
  static override flags = {
    args: Flags.string({ description: 'positional arguments as a JSON array (instead of ARGS)' }),
    kwargs: Flags.string({ description: 'keyword arguments as a JSON object' }),
    countdown: Flags.string({ description: 'seconds to wait before running' }),
    eta: Flags.string({ description: 'run at this ISO-8601 time' }),
    expires: Flags.string({ description: 'seconds (or ISO time) after which the task is revoked instead of run' }),
    queue: Flags.string({ char: 'q', description: 'queue' }),
    priority: Flags.integer({ description: '0 (first) to 9', min: 0, max: 9 }),
    'task-id': Flags.string({ description: 'use this task id' }),
    'time-limit': Flags.string({ description: 'hard time limit in seconds for this call (threads, prefork)' }),
    'soft-time-limit': Flags.string({ description: 'soft time limit in seconds for this call' }),
    wait: Flags.boolean({ char: 'w', description: 'wait for the result and print it; exit non-zero on failure' }),
    timeout: Flags.string({ description: 'with --wait: seconds to wait' }),
    check: Flags.boolean({ default: true, allowNo: true, description: 'refuse names the tasks directory does not define' }),
    json: Flags.boolean({ description: 'print JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(CallCommand);
    await runCall(args.name, argv.slice(1) as string[], flags, {
      resolveConfig: (f) => this.resolveTqConfig(f),
      openClient: (config) => this.openClient(config),
      log: (text) => this.log(text),
      logToStderr: (text) => this.logToStderr(text),
      refuse: (message) => this.error(message, { exit: 2 }),
    });
  }
}
