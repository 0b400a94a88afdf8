import { openStores, type Stores } from './brokers/index.js';
import type { Backend } from './brokers/backend.js';
import type { Broker } from './brokers/broker.js';
import { resolveConfig, type TqConfig, type TqConfigInput } from './config.js';
import { dispatch } from './dispatch.js';
import { envelopeToSend, type SendOptions } from './envelope.js';
import { TqError } from './errors.js';
import { AsyncResult } from './result.js';
import { tracedSend } from './tracing.js';

export { buildEnvelope, type SendOptions } from './envelope.js';

/**
 * What `delay()` and `sendTask()` use: config, a broker and a backend,
 * nothing else. It never imports discovery or the worker (see DESIGN.md on
 * the import order).
 */
export class Client {
  constructor(
    readonly config: TqConfig,
    readonly stores: Stores,
  ) {}

  /** Where messages go. */
  get broker(): Broker {
    return this.stores.broker;
  }

  /** Where results and cluster state live (the broker itself unless another backend is configured). */
  get backend(): Backend {
    return this.stores.backend;
  }

  /**
   * Sends one call. Throws TqError('DUPLICATE_ID') and sends nothing when its
   * `taskId` is in use (a task of that id is queued, running, or has a stored
   * result): one id, one task, one result.
   */
  async sendTask<R = unknown>(name: string, options: SendOptions = {}): Promise<AsyncResult<R>> {
    const build = () => [{ envelope: envelopeToSend(this.config, name, options), task: name }];
    return tracedSend(build, async (outgoing) => {
      const [taken] = await dispatch(this.stores, outgoing, this.config.events);
      if (taken !== undefined) throw new DuplicateTaskIdError([taken], []);
      return new AsyncResult<R>(outgoing[0]!.envelope.id, this.stores);
    });
  }

  /**
   * Sends many calls in one broker round trip. Every call is checked before
   * anything is sent, so bad input sends nothing. An id already in use cannot
   * be found out before the send without a second round trip (and not
   * atomically on Redis, where a bulk is many script calls), so the calls with
   * free ids are sent and the rest are not: then a DuplicateTaskIdError names
   * the ids not sent and carries the handles of the ones that were (`sent`).
   */
  async sendMany(calls: { name: string; options?: SendOptions }[]): Promise<AsyncResult[]> {
    const build = () => calls.map((c) => ({ envelope: envelopeToSend(this.config, c.name, c.options ?? {}), task: c.name }));
    return tracedSend(build, async (outgoing) => {
      const taken = await dispatch(this.stores, outgoing, this.config.events);
      const results = outgoing.map((o) => new AsyncResult(o.envelope.id, this.stores));
      if (taken.length > 0) throw new DuplicateTaskIdError(taken, sentOnes(results, taken));
      return results;
    });
  }

  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    return new AsyncResult<R>(id, this.stores);
  }

  close(): Promise<void> {
    return this.stores.close();
  }
}

/**
 * Some calls were not sent because their task ids are in use. `ids` are the
 * ids not sent; `sent` holds the handles of the calls of the same batch that
 * were (none for a single send).
 */
export class DuplicateTaskIdError extends TqError {
  constructor(
    readonly ids: string[],
    readonly sent: AsyncResult[],
  ) {
    const distinct = [...new Set(ids)];
    const shown = distinct.slice(0, 3).map((id) => JSON.stringify(id)).join(', ') + (distinct.length > 3 ? ` and ${distinct.length - 3} more` : '');
    const what = sent.length === 0 && ids.length === 1 ? 'this call was not sent' : `${ids.length} call(s) not sent, ${sent.length} sent`;
    super('DUPLICATE_ID', `task id ${shown} is already in use (a task with that id is queued, running, or has a stored result): ${what}`, {
      hint: 'leave the task id out to get a fresh one, or choose another; `tq result ID` shows the task that has it',
    });
    this.name = 'DuplicateTaskIdError';
  }
}

/**
 * The handles of the calls the broker added, given the ids it did not add
 * (one entry per copy not added). Of the copies of one id the broker keeps
 * only the first, and only when the id was new: so the first copy was sent
 * when fewer copies were refused than given.
 */
function sentOnes(results: AsyncResult[], notAdded: string[]): AsyncResult[] {
  const count = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
  const refused = count(notAdded);
  const given = count(results.map((r) => r.id));
  const seen = new Set<string>();
  return results.filter((r) => {
    if (seen.has(r.id)) return false;
    seen.add(r.id);
    return (refused.get(r.id) ?? 0) < given.get(r.id)!;
  });
}

export interface ClientOptions extends TqConfigInput {
  cwd?: string;
}

/** Resolves config (file, `TQ_*` environment, these options) and opens the broker and backend. */
export async function createClient(options: ClientOptions = {}): Promise<Client> {
  const { cwd, ...overrides } = options;
  const config = await resolveConfig({ cwd, overrides });
  return clientFor(config);
}

export async function clientFor(config: TqConfig): Promise<Client> {
  const stores = await openStores({
    url: config.brokerUrl,
    backendUrl: config.backendUrl,
    projectRoot: config.projectRoot,
    resultExpiresMs: config.resultExpiresMs,
    keyPrefix: config.keyPrefix,
    redisTls: config.redisTls,
    amqpTls: config.amqpTls,
    maxMessageBytes: config.maxMessageBytes,
    queues: [config.defaultQueue, ...config.worker.queues],
    protocol: config.protocol,
    celery: { visibilityTimeoutMs: config.celeryVisibilityTimeout * 1000, keyPrefix: config.celeryKeyPrefix },
  });
  return new Client(config, stores);
}

let defaultClient: Promise<Client> | undefined;

/** The client `delay()` uses when none was given: created on first use, shared. */
export function getDefaultClient(): Promise<Client> {
  defaultClient ??= createClient().catch((err) => {
    defaultClient = undefined; // let a later call retry, e.g. once the broker is up
    throw err;
  });
  return defaultClient;
}

/** Closes the shared default client, so a script can exit. */
export async function closeDefaultClient(): Promise<void> {
  const client = defaultClient;
  defaultClient = undefined;
  if (client) await (await client).close();
}

