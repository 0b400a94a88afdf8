import type { Stores } from '../brokers/index.js';
import { isOnline } from '../cluster.js';
import type { Logger } from '../log.js';
import type { TaskMessage } from '../message.js';
import type { Outcome } from '../worker/outcome.js';
import type { Worker } from '../worker/worker.js';
import { within } from '../within.js';
import { serveMetrics } from './exporter.js';
import { TqMetrics } from './families.js';

/** A scrape waits this long for the broker's figures at most, then goes without them. */
const SCRAPE_BROKER_WAIT_MS = 2000;

/**
 * `tq worker --metrics-port N`: the tq metric families for this worker,
 * counted from its own task events, plus the depth of the queues it consumes
 * and the workers online, read from the broker at scrape time.
 */
export function workerMetrics(worker: Worker, stores: Stores): { metrics: TqMetrics; detach(): void } {
  const metrics = new TqMetrics({
    taskNames: worker.registry.names(),
    processMetrics: true,
    gauges: {
      queues: async () => (await within(stores.broker.stats([...worker.queues]), SCRAPE_BROKER_WAIT_MS)) ?? [],
      workersOnline: async () => {
        const heartbeats = await within(stores.backend.listHeartbeats(), SCRAPE_BROKER_WAIT_MS);
        return heartbeats ? heartbeats.filter((hb) => isOnline(hb)).length : null;
      },
    },
  });
  const received = (m: TaskMessage) => {
    const from = runnableAt(m);
    if (from !== undefined) metrics.waited(m.queue, Date.now() - from);
  };
  const finished = (outcome: Outcome, accepted: boolean) => {
    if ('runtimeMs' in outcome) metrics.ran(outcome.message.task, outcome.runtimeMs);
    // A refused (late) ack changed nothing: the worker that holds the message now reports the outcome.
    if (!accepted) return;
    switch (outcome.kind) {
      case 'success':
        return metrics.final(outcome.message.task, 'SUCCESS');
      case 'failure':
        metrics.final(outcome.message.task, 'FAILURE');
        if (outcome.exhausted) metrics.deadLettered(outcome.message.queue);
        return;
      case 'retry':
        return metrics.retried(outcome.message.task);
      case 'revoked':
        return metrics.final(outcome.message.task, 'REVOKED');
      case 'reject':
        metrics.final(outcome.message?.task, 'REJECTED');
        return metrics.deadLettered(outcome.message?.queue);
    }
  };
  worker.on('task-received', received);
  worker.on('task-finished', finished);
  return {
    metrics,
    detach: () => {
      worker.off('task-received', received);
      worker.off('task-finished', finished);
    },
  };
}

/**
 * When the task could first run: its eta, or when it was sent. The message
 * carries no send time today; a `sentAt` header (epoch ms or ISO), when a
 * producer sets one, is used, and without either no wait is observed.
 */
function runnableAt(m: TaskMessage): number | undefined {
  const sent = m.headers.sentAt;
  const sentMs = typeof sent === 'number' ? sent : typeof sent === 'string' ? Date.parse(sent) : NaN;
  const etaMs = m.eta ? Date.parse(m.eta) : NaN;
  const known = [sentMs, etaMs].filter((v) => Number.isFinite(v));
  return known.length > 0 ? Math.max(...known) : undefined;
}

export interface WorkerMetricsExporter {
  url: string;
  /** Starts counting this worker's tasks; call before it takes the first one. */
  attach(worker: Worker, stores: Stores): void;
  close(): Promise<void>;
}

/**
 * Binds the metrics port first, before the worker has a pool or a broker, so
 * a port in use stops start-up with a clear error and nothing to clean up;
 * /metrics answers 503 until `attach`.
 */
export async function startWorkerMetrics(port: number, log: Logger): Promise<WorkerMetricsExporter> {
  let attached: { metrics: TqMetrics; detach(): void } | undefined;
  const server = await serveMetrics(() => attached?.metrics, port);
  log.info(`metrics on ${server.url}`);
  return {
    url: server.url,
    attach: (worker, stores) => {
      attached = workerMetrics(worker, stores);
    },
    close: async () => {
      attached?.detach();
      await server.close();
    },
  };
}
