import { Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { monitorActions } from '../runtime/monitor/actions.js';
import { ClusterMonitor } from '../runtime/monitor/cluster-monitor.js';
import { storesLabel } from '../runtime/brokers/index.js';
import { renderClusterSnapshot } from '../ui/top/snapshot.js';
import { runTop } from '../ui/top/render.js';

export default class TopCommand extends TqCommand {
  static override description = 'Watch the whole cluster live: workers, queues, tasks; revoke, terminate, retry, purge.';
  static override aliases = ['monitor'];
  static override examples = ['<%= config.bin %> top', '<%= config.bin %> top --once > cluster.txt'];
  static override flags = {
    once: Flags.boolean({ description: 'print one plain-text snapshot and exit (what happens off a terminal)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TopCommand);
    const config = await this.resolveTqConfig(flags);
    const client = await this.openClient(config);
    const live = !flags.once && Boolean(process.stdout.isTTY && process.stdin.isTTY);
    const monitor = new ClusterMonitor({ stores: client.stores, after: '0' });
    if (!live) {
      this.log(renderClusterSnapshot(await monitor.readOnce()));
      return;
    }
    await monitor.start();
    try {
      const actions = monitorActions(client, (id) => monitor.refreshTask(id));
      await runTop({ monitor, actions, broker: storesLabel(client.stores), color: this.color() });
    } finally {
      await monitor.stop();
    }
  }
}
