import type { DeadLetter, StoredEvent } from '../cluster.js';
import type { Client } from '../client.js';
import type { TqConfig } from '../config.js';
import { parseControl, runControl } from '../control-command.js';
import { storesLabel } from '../brokers/index.js';
import { discoverTasks } from '../discovery.js';
import type { InspectAnswer } from '../inspect.js';
import { inspect } from '../inspect.js';
import { monitorActions } from '../monitor/actions.js';
import { ClusterMonitor } from '../monitor/cluster-monitor.js';
import type { TaskView } from '../monitor/cluster-state.js';
import type { ResultRecord } from '../states.js';
import type { EntryListing } from '../beat/describe.js';

/**
 * Everything `tq web` reads from or does to the cluster, and the only file of
 * it that knows where the data comes from. It goes through the runtime's own
 * functions (ClusterMonitor, inspect, runControl, monitorActions, the beat
 * listing), never the broker's methods, so the rest of src/runtime/web is
 * unaffected by how brokers and backends are split.
 */
export interface WebData {
  readonly displayUrl: string;
  readonly monitor: ClusterMonitor;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The stored result of a task (it outlives the event stream and a restart of tq web), or null. */
  storedTask(id: string): Promise<ResultRecord | null>;
  deadLetters(): Promise<DeadLetter[]>;
  schedule(): Promise<ScheduleListing>;
  /** Registered task names, when the tasks directory could be loaded (bounds the metrics' task label). */
  taskNames(): readonly string[];
  revoke(task: TaskView, terminate: boolean): Promise<string>;
  retry(task: TaskView): Promise<string>;
  purge(queue: string): Promise<string>;
  requeueDead(ids?: string[]): Promise<string>;
  resizePool(worker: string, op: 'grow' | 'shrink', n: number): Promise<string>;
  rateLimit(task: string, rate: string, worker?: string): Promise<string>;
}

/**
 * How long an action waits for the workers' replies. Growing a pool of threads or
 * processes can take a few seconds; the wait ends as soon as every worker asked answered.
 */
const REPLY_WAIT_MS = 10_000;

export interface ScheduleListing {
  available: boolean;
  reason: string | null;
  entries: EntryListing[];
}

export interface WebDataOptions {
  onEvents?: (batch: readonly StoredEvent[]) => void;
}

export async function openWebData(client: Client, config: TqConfig, options: WebDataOptions = {}): Promise<WebData> {
  const { stores } = client;
  const monitor = new ClusterMonitor({ stores, after: '0', onEvents: options.onEvents });
  const actions = monitorActions(client, (id) => monitor.refreshTask(id));
  // The page works without the project's task files (a monitoring host may not have them); only the schedule needs them.
  const registry = await discoverTasks(config).catch((err: Error) => err);
  return {
    displayUrl: storesLabel(stores),
    monitor,
    start: () => monitor.start(),
    stop: () => monitor.stop(),
    storedTask: (id) => stores.backend.getResult(id),
    async deadLetters() {
      const [answer] = await inspect(stores, 'dead');
      return (answer?.data ?? []) as DeadLetter[];
    },
    async schedule() {
      if (registry instanceof Error) return { available: false, reason: registry.message, entries: [] };
      const { collectSchedule, describeSchedule } = await import('../beat/index.js');
      try {
        return { available: true, reason: null, entries: describeSchedule(collectSchedule(config, registry)) };
      } catch (err) {
        return { available: false, reason: (err as Error).message, entries: [] };
      }
    },
    taskNames: () => (registry instanceof Error ? [] : registry.names()),
    revoke: (task, terminate) => (terminate ? actions.terminate(task) : actions.revoke(task)),
    retry: (task) => actions.retry(task),
    purge: (queue) => actions.purge(queue),
    async requeueDead(ids) {
      const [answer] = await runControl(stores, parseControl('requeue-dead', ids ?? []), {});
      return String(answer?.data ?? 're-queued nothing');
    },
    async resizePool(worker, op, n) {
      return summary(await runControl(stores, parseControl(op === 'grow' ? 'pool_grow' : 'pool_shrink', [String(n)]), { destination: [worker], timeoutMs: REPLY_WAIT_MS }), worker);
    },
    async rateLimit(task, rate, worker) {
      return summary(await runControl(stores, parseControl('rate_limit', [task, rate]), { destination: worker ? [worker] : undefined, timeoutMs: REPLY_WAIT_MS }), worker);
    },
  };
}

/** One line from the answers of a control command. */
function summary(answers: InspectAnswer, expected?: string): string {
  if (answers.length === 0) return expected ? `${expected} did not answer (is it online?)` : 'no worker answered (is one online?)';
  return answers.map((a) => `${a.source}: ${a.ok ? 'ok' : 'error'} ${typeof a.data === 'string' ? a.data : JSON.stringify(a.data)}`).join('; ');
}
