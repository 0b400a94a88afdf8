import { Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { logLevelFlag } from '../cli/parse-args.js';
import { collectSchedule, describeSchedule, runBeat } from '../runtime/beat/index.js';
import type { LogLevel } from '../runtime/config.js';
import { discoverTasks } from '../runtime/discovery.js';
import { createLogger } from '../runtime/log.js';
import { formatScheduleList } from '../ui/schedule-list.js';

export default class BeatCommand extends TqCommand {
  static override description = 'Run the scheduler: send periodic tasks (cron, intervals). Safe to run on every machine: each tick is sent once.';
  static override examples = ['<%= config.bin %> beat', '<%= config.bin %> beat --list', '<%= config.bin %> beat --list --json'];
  static override flags = {
    list: Flags.boolean({ description: 'print each periodic task with its next 3 run times, and exit' }),
    json: Flags.boolean({ description: 'with --list: print JSON; otherwise log JSON lines' }),
    loglevel: logLevelFlag(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BeatCommand);
    const config = await this.resolveTqConfig(flags);
    const entries = collectSchedule(config, await discoverTasks(config));
    if (flags.list) {
      const listing = describeSchedule(entries);
      this.log(flags.json ? JSON.stringify(listing, null, 2) : formatScheduleList(listing));
      return;
    }

    const level = (flags.loglevel as LogLevel | undefined) ?? config.worker.loglevel;
    const log = createLogger({ level, name: 'beat', color: this.color(process.stderr), json: flags.json });
    const stores = await this.openStores(config);
    const stop = new AbortController();
    const onSignal = (name: string) => {
      log.info(`${name} received: stopping`);
      stop.abort();
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));

    log.info(`beat: ${entries.length} periodic task(s) on ${stores.broker.displayUrl}: ${entries.map((e) => `${e.name} (${e.schedule.text})`).join(', ') || 'none'}`);
    await runBeat({ config, stores, entries, log, signal: stop.signal });
    log.info('beat stopped');
  }
}
