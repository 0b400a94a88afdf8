import { Args, Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { clusterFlags, destinationOf, reportAnswers, timeoutMsOf } from '../cli/cluster-flags.js';
import { CONTROL_VERBS, controlTimeoutMs, parseControl, runControl, type ControlVerb } from '../runtime/control-command.js';

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
    const verb = args.verb as ControlVerb;
    const plan = parseControl(verb, (argv as string[]).slice(1)); // bad arguments stop here, before the broker
    const timeoutMs = timeoutMsOf(flags.timeout, controlTimeoutMs(verb));
    const config = await this.resolveTqConfig(flags);
    const stores = await this.openStores(config);
    const answers = await runControl(stores, plan, {
      terminate: flags.terminate,
      destination: destinationOf(flags.destination),
      timeoutMs,
    });
    reportAnswers(answers, { verb, json: flags.json, brokerUrl: stores.backend.displayUrl, silenceFails: verb !== 'revoke' }, (text) => this.log(text));
  }
}
