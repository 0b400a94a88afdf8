import { Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { confirm } from '../cli/confirm.js';
import { TqError } from '../runtime/errors.js';
import { purgeQueues } from '../runtime/purge.js';

export default class PurgeCommand extends TqCommand {
  static override description = 'Remove the waiting (ready) messages of queues. Never touches results, running (leased) or scheduled tasks.';
  static override examples = ['<%= config.bin %> purge -Q default', '<%= config.bin %> purge -Q mail,reports -f'];
  static override flags = {
    queues: Flags.string({ char: 'Q', description: 'comma-separated queues (default: the worker queues from config)' }),
    force: Flags.boolean({ char: 'f', description: 'do not ask (required off a terminal)' }),
    json: Flags.boolean({ description: 'print the counts as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(PurgeCommand);
    const config = await this.resolveTqConfig(flags);
    const queues = flags.queues?.split(',').map((q) => q.trim()).filter(Boolean) ?? [...config.worker.queues];
    const stores = await this.openStores(config);
    const { broker } = stores;
    if (!flags.force) {
      if (!process.stdin.isTTY) {
        throw new TqError('BAD_INPUT', 'refusing to purge without confirmation: not a terminal', { hint: 'pass -f/--force to purge from a script' });
      }
      const stats = await broker.stats(queues);
      const summary = stats.map((s) => `${s.queue}: ${s.ready}`).join(', ');
      if (!(await confirm(`Remove waiting messages (${summary}) from ${broker.displayUrl}?`))) {
        this.log('nothing removed');
        return;
      }
    }
    const removed = await purgeQueues(stores, queues);
    const total = Object.values(removed).reduce((a, b) => a + b, 0);
    this.log(flags.json ? JSON.stringify(removed) : `removed ${total} message(s): ${Object.entries(removed).map(([q, n]) => `${q} ${n}`).join(', ')}`);
  }
}
