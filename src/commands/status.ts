import { Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { renderStatus } from '../ui/inspect-view.js';
import { safeJson } from '../runtime/safe-text.js';
import { storesLabel } from '../runtime/brokers/index.js';

export default class StatusCommand extends TqCommand {
  static override description = 'One line per worker that reported to this broker: online or offline, pool, active, processed.';
  static override flags = { json: Flags.boolean({ description: 'print the heartbeats as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(StatusCommand);
    const config = await this.resolveTqConfig(flags);
    const stores = await this.openStores(config);
    const heartbeats = await stores.backend.listHeartbeats();
    this.log(flags.json ? safeJson(heartbeats) : `${storesLabel(stores)}\n${renderStatus(heartbeats)}`);
  }
}
