import { Args } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { clusterFlags, destinationOf, reportAnswers, timeoutMsOf } from '../cli/cluster-flags.js';
import { BROKER_VERBS, inspect, WORKER_VERBS, type InspectVerb } from '../runtime/inspect.js';

/** Inspect's verbs are answered at once by each worker, so 1 s is enough unless one is busy. */
const INSPECT_TIMEOUT_MS = 1000;

export default class InspectCommand extends TqCommand {
  static override description = `Ask the running workers (${WORKER_VERBS.join(', ')}) or the broker (${BROKER_VERBS.join(', ')}).`;
  static override examples = ['<%= config.bin %> inspect active', '<%= config.bin %> inspect stats -d w1@host --json', '<%= config.bin %> inspect query_task ID…', '<%= config.bin %> inspect dead'];
  static override strict = false;
  static override args = { verb: Args.string({ required: true, options: [...WORKER_VERBS, ...BROKER_VERBS], description: 'what to ask' }) };
  static override flags = clusterFlags;

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(InspectCommand);
    const config = await this.resolveTqConfig(flags);
    const timeoutMs = timeoutMsOf(flags.timeout, INSPECT_TIMEOUT_MS);
    const stores = await this.openStores(config);
    const answers = await inspect(stores, args.verb as InspectVerb, {
      ids: (argv as string[]).slice(1),
      destination: destinationOf(flags.destination),
      timeoutMs,
    });
    reportAnswers(answers, { verb: args.verb, json: flags.json, brokerUrl: stores.backend.displayUrl, silenceFails: true }, (text) => this.log(text));
  }
}
