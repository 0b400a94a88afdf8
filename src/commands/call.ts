import { Args, Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { parseJsonFlag, parsePositional, parseSeconds } from '../cli/parse-args.js';
import { callTask, pastEtaWarning } from '../runtime/call.js';
import { TaskFailedError } from '../runtime/errors.js';
import { renderValue } from '../ui/result-view.js';

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
    const config = await this.resolveTqConfig(flags);
    const positional = argv.slice(1) as string[];
    const jsonArgs = parseJsonFlag('args', flags.args, 'array');
    if (jsonArgs && positional.length > 0) this.error('give arguments either positionally or with --args, not both', { exit: 2 });
    const expires = flags.expires === undefined ? undefined : /^[\d.]+$/.test(flags.expires) ? parseSeconds('expires', flags.expires) : flags.expires;
    const options = {
      args: jsonArgs ?? parsePositional(positional),
      kwargs: parseJsonFlag('kwargs', flags.kwargs, 'object'),
      countdown: parseSeconds('countdown', flags.countdown),
      eta: flags.eta,
      expires,
      queue: flags.queue,
      priority: flags.priority,
      taskId: flags['task-id'],
      timeLimit: parseSeconds('time-limit', flags['time-limit']),
      softTimeLimit: parseSeconds('soft-time-limit', flags['soft-time-limit']),
    };
    const client = await this.openClient(config);
    const result = await callTask(client, config, args.name, options, flags.check);
    const late = pastEtaWarning(flags.eta);
    if (late) this.logToStderr(`Warning: ${late}`);
    if (!flags.wait) {
      this.log(flags.json ? JSON.stringify({ id: result.id }) : result.id);
      return;
    }
    const timeout = parseSeconds('timeout', flags.timeout);
    try {
      const value = await result.get({ timeout: timeout === undefined ? undefined : timeout * 1000 });
      this.log(flags.json ? JSON.stringify({ id: result.id, state: 'SUCCESS', result: value }) : renderValue(value));
    } catch (err) {
      if (flags.json && err instanceof TaskFailedError) this.log(JSON.stringify({ id: result.id, ...result.record }));
      throw err;
    }
  }
}
