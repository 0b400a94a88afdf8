import type { TqConfig } from '../runtime/config.js';
import { maskUrl } from '../runtime/config.js';
import type { Logger } from '../runtime/log.js';
import type { PreparedWorker } from '../runtime/worker/start.js';
import { renderBanner } from '../ui/banner.js';
import type { LineRouter } from '../ui/dashboard/output-mode.js';
import { logWorkerEvents } from '../ui/worker-log.js';

export interface WorkerOutputOptions {
  prepared: PreparedWorker;
  config: TqConfig;
  log: Logger;
  /** Where log lines go; the dashboard takes them over while it runs. */
  lines: LineRouter;
  version: string;
  /** The live dashboard (below the banner) instead of log lines. */
  tui: boolean;
  json: boolean;
  beat: boolean;
  color: boolean;
}

/**
 * What a running worker shows: the banner (not with --json), then the live
 * dashboard or one log line per task event. On a terminal the banner stays in
 * the scrollback above the dashboard's live region. Returns how to take it down.
 */
export async function startWorkerOutput(o: WorkerOutputOptions): Promise<{ stop(): Promise<void> }> {
  const { prepared, config } = o;
  const { worker, pool } = prepared;
  if (!o.json) {
    const banner = { hostname: prepared.hostname, version: o.version, config, pool: pool.name, concurrency: pool.size, queues: config.worker.queues, tasks: prepared.registry.names(), beat: o.beat };
    process.stdout.write(`${renderBanner(banner, o.color)}\n`);
  }
  if (!o.tui) {
    logWorkerEvents(worker, o.log);
    return { stop: async () => undefined };
  }
  // Loaded only here: Ink, React and yoga's WASM heap would otherwise sit in every headless worker's memory.
  const { startWorkerDashboard } = await import('../ui/dashboard/render.js');
  const info = { hostname: prepared.hostname, version: o.version, broker: config.backendUrl === config.brokerUrl ? maskUrl(config.brokerUrl) : `${maskUrl(config.brokerUrl)} (backend ${maskUrl(config.backendUrl)})`, pool: pool.name, concurrency: pool.size, queues: config.worker.queues, startedAt: Date.now() };
  const dashboard = startWorkerDashboard({ worker, info, color: o.color });
  o.lines.to((line, level) => dashboard.log(line, level));
  return {
    async stop() {
      await dashboard.stop();
      o.lines.to(undefined);
    },
  };
}
