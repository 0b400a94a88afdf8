import type { Client } from '../client.js';
import { dispatch } from '../dispatch.js';
import { DuplicateTaskIdError } from '../client.js';
import { AsyncResult } from '../result.js';
import { tracedSend } from '../tracing.js';
import { envelopeOfCall } from './envelopes.js';
import { GroupResult } from './group-result.js';
import { launchSteps, resultIdOf } from './launch.js';
import { isGroupStep, type WireStep } from './wire.js';

/**
 * Sends a workflow (frozen: every call has its id), the first step's messages
 * sent in one broker round trip (a group of 10,000 is one bulk enqueue),
 * the rest riding on them. Group records go to the backend first, so a
 * GroupResult rebuilt from its id finds its members at once. Returns the
 * handle of what the workflow ends with: an AsyncResult (a task, a chain, a
 * chord's body) or a GroupResult; revoking it revokes every step not started.
 */
export async function sendSteps(client: Client, steps: readonly WireStep[]): Promise<AsyncResult | GroupResult> {
  const launch = launchSteps(steps, null);
  const rootId = rootOf(steps);
  const { backend } = client.stores;
  for (const g of launch.groups) await backend.setMeta(`group:${g.id}`, JSON.stringify({ members: g.members, body: g.body }), client.config.resultExpiresMs);
  const build = () => launch.calls.map((call) => ({ envelope: envelopeOfCall(client.config, call, { parentId: null, rootId }), task: call.sig.task }));
  const inUse = await tracedSend(build, (outgoing) => dispatch(client.stores, outgoing, client.config.events));
  if (inUse.length > 0) throw new DuplicateTaskIdError(inUse, []);
  return handleOf(client, steps, allIds(steps));
}

/** The workflow's first task (or first group): every message of it carries this as rootId. */
function rootOf(steps: readonly WireStep[]): string {
  const first = steps[0];
  if (!first) return '';
  return isGroupStep(first) ? first.group : first.id;
}

function handleOf(client: Client, steps: readonly WireStep[], ids: string[]): AsyncResult | GroupResult {
  const last = steps.at(-1);
  if (last && isGroupStep(last)) return new GroupResult(last.group, last.members.map((m) => client.asyncResult(resultIdOf(m))), client.stores, ids);
  const id = last ? resultIdOf(last) : '';
  return new AsyncResult(id, client.stores, ids);
}

/** Every id of the workflow, to revoke it whole. */
function allIds(steps: readonly WireStep[]): string[] {
  const ids: string[] = [];
  const walk = (step: WireStep) => {
    if (isGroupStep(step)) return step.members.forEach(walk);
    ids.push(step.id);
    for (const s of step.chain ?? []) walk(s);
    for (const s of [...(step.link ?? []), ...(step.linkError ?? [])]) walk(s);
  };
  steps.forEach(walk);
  return ids;
}
