import { Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { followEvents } from '../runtime/events.js';
import { renderEvent } from '../ui/event-line.js';
import { safeJson } from '../runtime/safe-text.js';

export default class EventsCommand extends TqCommand {
  static override description = 'Print task and worker events as they happen (task-sent … task-succeeded, worker-online …).';
  static override examples = ['<%= config.bin %> events', '<%= config.bin %> events --json --from 0 --no-follow'];
  static override flags = {
    json: Flags.boolean({ description: 'one JSON object per line' }),
    from: Flags.string({ description: "start after this event id ('0': from the oldest kept); default: new events only" }),
    follow: Flags.boolean({ default: true, allowNo: true, description: 'keep waiting for new events' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EventsCommand);
    const config = await this.resolveTqConfig(flags);
    const { backend } = await this.openStores(config);
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    const color = this.color();
    for await (const event of followEvents(backend, { after: flags.from ?? null, follow: flags.follow, signal: stop.signal })) {
      this.log(flags.json ? safeJson(event) : renderEvent(event, color));
    }
  }
}
