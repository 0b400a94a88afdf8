import { TqError } from '../errors.js';
import { isGroupStep, type CanvasFields, type WireSignature, type WireStep } from './wire.js';

/** One message to send: the call, its arguments as they will run, and the workflow it carries on. */
export interface LaunchCall {
  sig: WireSignature;
  args: unknown[];
  fields: CanvasFields;
}

/** A group that starts with a launch: its members' result ids in order (and its chord body, if any). */
export interface LaunchGroup {
  id: string;
  members: string[];
  body?: string;
}

export interface Launch {
  calls: LaunchCall[];
  groups: LaunchGroup[];
}

/** What the first step gets: the parent's result, when there is a parent that returned one. */
export type StepInput = { result: unknown } | null;

/**
 * The messages that start `steps`, the rest of the workflow riding on them.
 * Pure: the client calls it to send a workflow, and a worker to send what
 * follows a finished step. The ids are the frozen ones, so the same input
 * always gives the same messages.
 *
 * - a task step runs with the parent's result as its first argument (unless
 *   immutable) and carries the remaining steps;
 * - a group followed by a step is a chord: each member carries the chord (the
 *   step is its body, with the remaining steps); an empty header sends the
 *   body at once with [];
 * - a group at the end runs its members, each knowing its place.
 * `carry` passes a chord or group place on to the last step of a member that
 * is itself a chain, so only that last step joins.
 */
export function launchSteps(steps: readonly WireStep[], input: StepInput, carry: Pick<CanvasFields, 'chord' | 'group'> = {}): Launch {
  const out: Launch = { calls: [], groups: [] };
  const [first, ...rest] = steps;
  if (!first) return out;
  if (!isGroupStep(first)) {
    out.calls.push(callOf(first, input, rest, carry));
    return out;
  }
  if (carry.chord || carry.group) throw nested();
  const [body, ...after] = rest;
  if (body && isGroupStep(body)) {
    throw new TqError('BAD_INPUT', 'a group right after a group in a chain is not supported: put a task between them (its body)');
  }
  const size = first.members.length;
  if (body) {
    const bodyWithRest: WireSignature = { ...body, chain: [...(body.chain ?? []), ...after] };
    out.groups.push({ id: first.group, members: first.members.map(resultIdOf), body: resultIdOf(bodyWithRest) });
    if (size === 0) {
      out.calls.push(callOf(bodyWithRest, { result: [] }, [], {}));
      return out;
    }
    first.members.forEach((m, index) => out.calls.push(callOf(m, input, [], { chord: { id: first.group, index, size, body: bodyWithRest } })));
    return out;
  }
  out.groups.push({ id: first.group, members: first.members.map(resultIdOf) });
  first.members.forEach((m, index) => out.calls.push(callOf(m, input, [], { group: { id: first.group, index, size } })));
  return out;
}

function callOf(sig: WireSignature, input: StepInput, rest: readonly WireStep[], carry: Pick<CanvasFields, 'chord' | 'group'>): LaunchCall {
  const chain = [...(sig.chain ?? []), ...rest];
  const args = input && !sig.immutable ? [input.result, ...sig.args] : [...sig.args];
  const fields: CanvasFields = {};
  if (chain.length > 0) fields.chain = chain;
  if (sig.link?.length) fields.link = sig.link;
  if (sig.linkError?.length) fields.linkError = sig.linkError;
  // A place in a chord or group belongs to the last step of a member chain: it rides there until then.
  const place = { ...sig.joins, ...carry };
  if (!place.chord && !place.group) return { sig, args, fields };
  if (chain.length === 0) return { sig, args, fields: { ...fields, ...place } };
  const last = chain[chain.length - 1]!;
  if (isGroupStep(last)) throw nested();
  fields.chain = [...chain.slice(0, -1), { ...last, joins: place }];
  return { sig, args, fields };
}

/** The id whose result stands for a signature: its own, or that of the last step of its chain. */
export function resultIdOf(sig: WireSignature): string {
  const last = sig.chain?.at(-1);
  if (!last) return sig.id;
  return isGroupStep(last) ? last.group : resultIdOf(last);
}

function nested(): TqError {
  return new TqError('BAD_INPUT', 'a group member that ends in a group is not supported: end it with a task');
}
