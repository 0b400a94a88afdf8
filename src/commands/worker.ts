import { Flags } from '@oclif/core';
import { hostname as osHostname } from 'node:os';
import { TqCommand } from '../cli/base-command.js';
import { logLevelFlag } from '../cli/parse-args.js';
import type { LogLevel, PoolName } from '../runtime/config.js';
import { createLogger } from '../runtime/log.js';
import { prepareWorker } from '../runtime/worker/start.js';
import { LineRouter, wantsDashboard } from '../ui/dashboard/output-mode.js';
import { handleShutdownSignals } from '../cli/shutdown.js';
import { startWorkerOutput } from '../cli/worker-output.js';
import { ClusterAgent } from '../runtime/control/agent.js';
import type { BeatEntry } from '../runtime/beat/index.js';

export default class WorkerCommand extends TqCommand {
  static override description = 'Run a worker: take tasks from the broker and run them.';
  static override examples = ['<%= config.bin %> worker', '<%= config.bin %> worker --pool=async -c 50 -Q mail,default -n mail1@%h'];
  static override flags = {
    pool: Flags.string({ char: 'P', description: 'prefork (default) | threads | async | solo' }),
    concurrency: Flags.integer({ char: 'c', description: 'tasks at once (default: CPUs for prefork/threads, 10 for async)', min: 1 }),
    queues: Flags.string({ char: 'Q', description: 'comma-separated queues, in priority order' }),
    hostname: Flags.string({ char: 'n', description: 'worker name (%h = this host); default tq-PID@HOST' }),
    loglevel: logLevelFlag(),
    'prefetch-multiplier': Flags.integer({ description: 'reserve up to concurrency × this (default 1)', min: 1 }),
    'max-tasks-per-child': Flags.integer({ description: 'replace a thread/child after this many tasks', min: 1 }),
    'max-memory-per-child': Flags.integer({ description: 'replace a thread/child past this many KiB resident', min: 1 }),
    'soft-shutdown-timeout': Flags.integer({ description: 'seconds a warm shutdown waits before going cold', min: 0 }),
    beat: Flags.boolean({ char: 'B', description: 'also run the periodic scheduler (tq beat) in this process' }),
    strict: Flags.boolean({ description: 'refuse to start on an unsafe broker (a Redis that may evict keys)' }),
    events: Flags.boolean({ allowNo: true, description: 'send task events to the broker (default on; --no-events for the last bit of speed)' }),
    json: Flags.boolean({ description: 'log JSON lines' }),
    tui: Flags.boolean({ allowNo: true, description: 'live dashboard (default on a terminal; off with --json, under CI, or --no-tui)' }),
    'metrics-port': Flags.integer({ description: 'serve Prometheus metrics at http://HOST:N/metrics (every interface; 0: any free port)', min: 0, max: 65535 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(WorkerCommand);
    const config = await this.resolveTqConfig(flags, {
      events: flags.events,
      worker: {
        pool: flags.pool as PoolName | undefined,
        concurrency: flags.concurrency,
        queues: flags.queues?.split(',').map((q) => q.trim()).filter(Boolean),
        hostname: flags.hostname?.replaceAll('%h', osHostname()),
        loglevel: flags.loglevel as LogLevel | undefined,
        prefetchMultiplier: flags['prefetch-multiplier'],
        maxTasksPerChild: flags['max-tasks-per-child'],
        maxMemoryPerChild: flags['max-memory-per-child'],
        softShutdownTimeout: flags['soft-shutdown-timeout'],
      },
    });
    const color = this.color(process.stderr);
    const lines = new LineRouter();
    const log = createLogger({ level: config.worker.loglevel, name: 'worker', color, json: flags.json, write: lines.write });
    // Only -B pays for the scheduler (cron-parser, luxon). Its schedule is checked right after
    // discovery, before anything that keeps the process alive is started: a bad entry exits 2 at once.
    const scheduler = flags.beat ? await import('../runtime/beat/index.js') : undefined;
    let beatEntries: BeatEntry[] = [];
    // Only --metrics-port loads prom-client; the port is bound first, so a taken one fails start-up cleanly.
    const metrics = flags['metrics-port'] === undefined ? undefined : await (await import('../runtime/metrics/worker-metrics.js')).startWorkerMetrics(flags['metrics-port'], log);
    const prepared = await prepareWorker(config, log, { color, strict: flags.strict, check: (registry) => void (beatEntries = scheduler?.collectSchedule(config, registry) ?? []) });
    const { worker, pool } = prepared;
    const tui = wantsDashboard({ tui: flags.tui, json: flags.json, isTTY: Boolean(process.stdout.isTTY), ci: config.terminal.ci });
    const shutdown = handleShutdownSignals(worker, log, config.worker.softShutdownTimeout);
    let output: { stop(): Promise<void> } | undefined;
    const agent = new ClusterAgent({
      worker, backend: prepared.stores.backend, log, events: config.events, hostname: prepared.hostname, pool: pool.name,
      version: this.config.version, startedAt: new Date(), queues: () => [...worker.queues],
      requestShutdown: () => shutdown.request('shutdown command'),
    });
    try {
      output = await startWorkerOutput({ prepared, config, log, lines, version: this.config.version, tui, json: flags.json, beat: flags.beat, color: this.color() });
      metrics?.attach(worker, prepared.stores);
      worker.start();
      await agent.start();
    } catch (err) {
      // What started must end, or its handles keep the process from exiting with the error's code.
      await Promise.allSettled([output?.stop(), prepared.abort()]);
      throw err;
    }
    const beat = new AbortController();
    const beatDone = scheduler?.runBeat({ config, stores: prepared.stores, entries: beatEntries, log: log.child('beat'), signal: beat.signal });
    log.info(`${prepared.hostname} ready.`);
    await shutdown.done;
    beat.abort();
    await beatDone;
    await output.stop();
    await agent.stop();
    await metrics?.close();
    await prepared.close();
    log.info('worker stopped');
    // Everything is handed back and written. Task code that ran in this process (solo and async
    // pools; a cold stop's tasks may still be running) can hold handles of its own — a Redis
    // client, a database pool, a timer — that would keep Node alive forever after "worker
    // stopped", so the process ends here, as Celery's worker does whatever its tasks left open.
    process.exit(process.exitCode ?? 0);
  }
}
