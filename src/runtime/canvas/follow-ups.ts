import type { SerializedError } from '../errors.js';
import { launchSteps, type LaunchCall, type LaunchGroup } from './launch.js';
import { isGroupStep, type CanvasFields, type ChordLink, type WireStep } from './wire.js';

/** How a step ended, as far as its workflow cares. */
export type StepEnd = { ok: true; value: unknown } | { ok: false; error: SerializedError; revoked?: boolean };

/**
 * What a finished step sends or settles, computed before its finish so the
 * store can do it all in the finish's own atomic step where it can:
 * - `calls` / `groups`: the next chain step, link callbacks (on success) or
 *   errbacks (on failure);
 * - `chord`: this step's place in a chord, joined with its result (or failing
 *   the chord); the store sends the body when the last distinct member joins;
 * - `broken`: ids of steps that will never run because this one failed, with
 *   the error to record for each (so a waiter learns at once);
 * - `children`: what this step sent, for its result record.
 */
export interface FollowUps {
  calls: LaunchCall[];
  groups: LaunchGroup[];
  chord?: { link: ChordLink; end: StepEnd };
  broken: { steps: StepRef[]; error: SerializedError };
  children: string[];
}

export function hasCanvas(fields: CanvasFields): boolean {
  return Boolean(fields.chain?.length || fields.link?.length || fields.linkError?.length || fields.chord || fields.group);
}

/** The follow-ups of step `id` (task `task`) ending as `end`. Pure. */
export function followUpsOf(id: string, task: string, fields: CanvasFields, end: StepEnd): FollowUps {
  const out: FollowUps = { calls: [], groups: [], broken: { steps: [], error: { name: 'ChainError', message: '' } }, children: [] };
  const add = (launch: { calls: LaunchCall[]; groups: LaunchGroup[] }) => {
    out.calls.push(...launch.calls);
    out.groups.push(...launch.groups);
  };
  if (end.ok) {
    if (fields.chain?.length) add(launchSteps(fields.chain, { result: end.value }));
    for (const cb of fields.link ?? []) add(launchSteps([cb], { result: end.value }));
  } else {
    const failure = { id, task, error: end.error };
    for (const eb of fields.linkError ?? []) add(launchSteps([eb], { result: failure }));
    const what = end.revoked ? 'was revoked' : `failed: ${end.error.name}: ${end.error.message}`;
    out.broken = { steps: stepRefs(fields.chain ?? []), error: { name: end.revoked ? 'Revoked' : 'ChainError', message: `a previous step, ${task}[${id}], ${what}` } };
  }
  if (fields.chord) out.chord = { link: fields.chord, end };
  out.children = out.calls.map((c) => c.sig.id);
  return out;
}

/**
 * What a chord whose member failed settles: its body never runs and ends
 * FAILURE ChordError naming the failed member, its errbacks fire once, and
 * the steps after it are broken too. The store calls this only for the
 * member that turned the chord failed (first failure wins).
 */
export function chordFailure(link: ChordLink, memberId: string, memberTask: string, error: SerializedError): { body: StepRef & { error: SerializedError }; calls: LaunchCall[]; groups: LaunchGroup[]; broken: StepRef[] } {
  const chordError: SerializedError = { name: 'ChordError', message: `chord ${link.id}: member ${memberTask}[${memberId}] (index ${link.index}) failed: ${error.name}: ${error.message}` };
  const calls: LaunchCall[] = [];
  const groups: LaunchGroup[] = [];
  for (const eb of link.body.linkError ?? []) {
    const launch = launchSteps([eb], { result: { id: link.body.id, task: link.body.task, error: chordError } });
    calls.push(...launch.calls);
    groups.push(...launch.groups);
  }
  return { body: { id: link.body.id, task: link.body.task, error: chordError }, calls, groups, broken: stepRefs(link.body.chain ?? []) };
}

/** A step a waiter could hold an id of. */
export interface StepRef {
  id: string;
  /** '' for a group. */
  task: string;
}

/** Every step in these that a waiter could hold: each signature, each group and its members. */
export function stepRefs(steps: readonly WireStep[]): StepRef[] {
  const refs: StepRef[] = [];
  const walk = (step: WireStep) => {
    if (isGroupStep(step)) {
      refs.push({ id: step.group, task: '' });
      step.members.forEach(walk);
      return;
    }
    refs.push({ id: step.id, task: step.task });
    (step.chain ?? []).forEach(walk);
  };
  steps.forEach(walk);
  return refs;
}
