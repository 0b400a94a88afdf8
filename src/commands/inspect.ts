import { Args } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { clusterFlags, destinationOf } from '../cli/cluster-flags.js';
import { parseSeconds } from '../cli/parse-args.js';
import { BROKER_VERBS, inspect, WORKER_VERBS, type InspectVerb } from '../runtime/inspect.js';
import { renderAnswers } from '../ui/inspect-view.js';
import { safeJson } from '../runtime/safe-text.js';

export default class InspectCommand extends TqCommand {
  static override description = `Ask the running workers (${WORKER_VERBS.join(', ')}) or the broker (${BROKER_VERBS.join(', ')}).`;
  static override examples = ['<%= config.bin %> inspect active', '<%= config.bin %> inspect stats -d w1@host --json', '<%= config.bin %> inspect query_task ID…', '<%= config.bin %> inspect dead'];
  static override strict = false;
  static override args = { verb: Args.string({ required: true, options: [...WORKER_VERBS, ...BROKER_VERBS], description: 'what to ask' }) };
  static override flags = clusterFlags;

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(InspectCommand);
    const config = await this.resolveTqConfig(flags);
    const broker = await this.openBroker(config);
    const answers = await inspect(broker, args.verb as InspectVerb, {
      ids: (argv as string[]).slice(1),
      destination: destinationOf(flags.destination),
      timeoutMs: (parseSeconds('timeout', flags.timeout) ?? 1) * 1000,
    });
    this.log(flags.json ? safeJson(Object.fromEntries(answers.map((a) => [a.source, a.ok ? a.data : { error: a.data }]))) : renderAnswers(args.verb, answers));
    if (answers.length === 0) process.exitCode = 5;
  }
}
