import { Args, Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { clusterFlags, destinationOf } from '../cli/cluster-flags.js';
import { parseSeconds } from '../cli/parse-args.js';
import { CONTROL_VERBS, runControl, type ControlVerb } from '../runtime/control-command.js';
import { renderAnswers } from '../ui/inspect-view.js';

export default class ControlCommand extends TqCommand {
  static override description = 'Tell running workers what to do: revoke, rate_limit, time_limit, pool_grow, pool_shrink, add_consumer, cancel_consumer, shutdown; or requeue-dead.';
  static override examples = [
    '<%= config.bin %> control revoke ID… [--terminate]',
    '<%= config.bin %> control rate_limit send_mail 10/s',
    '<%= config.bin %> control time_limit report 60 120',
    '<%= config.bin %> control pool_grow 2 -d w1@host',
    '<%= config.bin %> control requeue-dead',
  ];
  static override strict = false;
  static override args = { verb: Args.string({ required: true, options: [...CONTROL_VERBS], description: 'what to do' }) };
  static override flags = {
    ...clusterFlags,
    terminate: Flags.boolean({ description: 'with revoke: also end the task if it is running' }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(ControlCommand);
    const config = await this.resolveTqConfig(flags);
    const broker = await this.openBroker(config);
    const answers = await runControl(broker, args.verb as ControlVerb, (argv as string[]).slice(1), {
      terminate: flags.terminate,
      destination: destinationOf(flags.destination),
      timeoutMs: (parseSeconds('timeout', flags.timeout) ?? 1) * 1000,
    });
    this.log(flags.json ? JSON.stringify(Object.fromEntries(answers.map((a) => [a.source, a.ok ? a.data : { error: a.data }]))) : renderAnswers(args.verb, answers));
  }
}
