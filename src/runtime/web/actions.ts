import { TqError } from '../errors.js';
import type { ClusterState, TaskView } from '../monitor/cluster-state.js';
import type { WebData } from './queries.js';

/**
 * The fixed set of actions the page offers, by the name in its URL
 * (POST /api/actions/NAME). Each checks its JSON body and runs one runtime
 * call through WebData; nothing is ever looked up or run by a name a request
 * gives beyond this table.
 */
export type ActionName = 'revoke' | 'terminate' | 'retry' | 'purge' | 'requeue-dead' | 'pool-grow' | 'pool-shrink' | 'rate-limit';

type Body = Record<string, unknown>;
type Handler = (data: WebData, body: Body, state: ClusterState) => Promise<string>;

const ACTIONS: Record<ActionName, Handler> = {
  revoke: (data, body, state) => data.revoke(taskOf(state, text(body, 'id')), false),
  terminate: (data, body, state) => data.revoke(taskOf(state, text(body, 'id')), true),
  retry: (data, body, state) => {
    const id = text(body, 'id');
    const task = state.tasks.get(id);
    if (!task) throw new TqError('BAD_INPUT', `task ${id} is not among the tasks tq web follows, so its arguments are not known here`);
    return data.retry(task);
  },
  purge: (data, body) => data.purge(text(body, 'queue')),
  'requeue-dead': (data, body) => data.requeueDead(body.ids === undefined ? undefined : texts(body, 'ids')),
  'pool-grow': (data, body) => data.resizePool(text(body, 'worker'), 'grow', count(body, 'n')),
  'pool-shrink': (data, body) => data.resizePool(text(body, 'worker'), 'shrink', count(body, 'n')),
  'rate-limit': (data, body) => data.rateLimit(text(body, 'task'), text(body, 'rate'), body.worker === undefined || body.worker === '' ? undefined : text(body, 'worker')),
};

export function isAction(name: string): name is ActionName {
  return Object.hasOwn(ACTIONS, name);
}

export function runAction(name: ActionName, data: WebData, body: unknown, state: ClusterState): Promise<string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TqError('BAD_INPUT', 'the body must be a JSON object');
  return ACTIONS[name](data, body as Body, state);
}

/** Revoking needs only the id: a task tq web never saw (sent before its stream reaches back) can be revoked too. */
function taskOf(state: ClusterState, id: string): TaskView {
  return state.tasks.get(id) ?? { id, name: '?', state: 'PENDING', firstSeen: Date.now(), timeline: [] };
}

function text(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.trim() === '' || value.length > 500) throw new TqError('BAD_INPUT', `'${key}' must be a non-empty string of at most 500 characters`);
  return value.trim();
}

function texts(body: Body, key: string): string[] {
  const value = body[key];
  if (!Array.isArray(value) || value.length > 1000 || value.some((v) => typeof v !== 'string' || v === '')) throw new TqError('BAD_INPUT', `'${key}' must be a list of at most 1000 ids`);
  return value as string[];
}

function count(body: Body, key: string): number {
  const value = body[key];
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 1000) throw new TqError('BAD_INPUT', `'${key}' must be a whole number from 1 to 1000`);
  return value as number;
}
