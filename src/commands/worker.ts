import { Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import type { LogLevel, PoolName } from '../runtime/config.js';
import { createLogger } from '../runtime/log.js';
import { prepareWorker } from '../runtime/worker/start.js';
import { renderBanner } from '../ui/banner.js';
import { logWorkerEvents } from '../ui/worker-log.js';

export default class WorkerCommand extends TqCommand {
  static override description = 'Run a worker: take tasks from the broker and run them.';
  static override examples = ['<%= config.bin %> worker', '<%= config.bin %> worker --pool=async -c 50 -Q mail,default -n mail1@%h'];
  static override flags = {
    pool: Flags.string({ char: 'P', description: 'pool: solo | async (threads, prefork: not built yet)' }),
    concurrency: Flags.integer({ char: 'c', description: 'how many tasks run at once', min: 1 }),
    queues: Flags.string({ char: 'Q', description: 'comma-separated queues, in priority order' }),
    hostname: Flags.string({ char: 'n', description: 'worker name (%h = this host); default tq-PID@HOST' }),
    loglevel: Flags.string({ char: 'l', options: ['debug', 'info', 'warn', 'error'], description: 'log level' }),
    json: Flags.boolean({ description: 'log JSON lines' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(WorkerCommand);
    const config = await this.resolveTqConfig(flags, {
      worker: {
        pool: flags.pool as PoolName | undefined,
        concurrency: flags.concurrency,
        queues: flags.queues?.split(',').map((q) => q.trim()).filter(Boolean),
        hostname: flags.hostname?.replaceAll('%h', (await import('node:os')).hostname()),
        loglevel: flags.loglevel as LogLevel | undefined,
      },
    });
    const log = createLogger({ level: config.worker.loglevel, name: 'worker', color: this.color(process.stderr), json: flags.json });
    const started = await prepareWorker(config, log);
    const { worker } = started;
    if (!flags.json) {
      process.stdout.write(
        renderBanner({ ...started, version: this.config.version, config, queues: config.worker.queues, tasks: started.registry.names(), beat: false }, this.color()) + '\n',
      );
    }
    logWorkerEvents(worker, log);
    worker.start();
    log.info(`${started.hostname} ready.`);

    await new Promise<void>((resolve) => {
      let signals = 0;
      const onSignal = (name: string) => {
        signals++;
        if (signals === 1) {
          log.info(`${name} received: warm shutdown (finishing ${worker.slots.size} running task(s); send again to stop now)`);
          void worker.stop().then(resolve);
        } else {
          log.warn(`${name} received again: cold shutdown, handing running tasks back`);
          void worker.stopNow().then((n) => (log.warn(`handed back ${n} task(s)`), resolve()));
        }
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
    });
    await started.close();
    log.info('worker stopped');
  }
}
