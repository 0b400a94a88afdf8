import { Flags } from '@oclif/core';
import { TqCommand } from '../../cli/base-command.js';
import { renderQueueTable } from '../../ui/queue-table.js';

export default class InspectQueuesCommand extends TqCommand {
  static override description = 'Show each queue: ready, scheduled, leased (running) and dead messages, and the oldest wait.';
  static override flags = {
    queues: Flags.string({ char: 'Q', description: 'only these comma-separated queues' }),
    json: Flags.boolean({ description: 'print JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(InspectQueuesCommand);
    const config = await this.resolveTqConfig(flags);
    const broker = await this.openBroker(config);
    const stats = await broker.stats(flags.queues?.split(',').map((q) => q.trim()).filter(Boolean));
    this.log(flags.json ? JSON.stringify(stats) : renderQueueTable(stats));
  }
}
