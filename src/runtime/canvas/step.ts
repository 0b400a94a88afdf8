import type { TqConfig } from '../config.js';
import type { Outgoing, TaskMessage } from '../message.js';
import { isoNow } from '../iso-time.js';
import type { ResultRecord } from '../states.js';
import { CHORD_RESULTS_PLACEHOLDER, envelopeOfCall } from './envelopes.js';
import { chordFailure, followUpsOf, hasCanvas, type StepEnd, type StepRef } from './follow-ups.js';
import { launchSteps, type LaunchCall, type LaunchGroup } from './launch.js';

/**
 * What a finished step's workflow asks of the store, built by the worker
 * before the step's finish and applied just before it (see ledger.ts). Every
 * part is idempotent, so a step delivered again and finished again changes
 * nothing more: messages have frozen ids (a broker that knows ids keeps one
 * copy), records are first-wins, a chord counts distinct indexes and fails
 * once.
 */
export interface CanvasStep {
  /** The next chain step, link callbacks (on success) or errbacks (on failure). */
  enqueue: Outgoing[];
  /** Records of steps that will never run, because this one failed (ChainError) or was revoked. */
  records: ResultRecord[];
  /** Groups that start here, for GroupResult (stored as meta 'group:ID'). */
  groups: LaunchGroup[];
  chord?: ChordJoin;
  /** What this step sent, for its result record. */
  children: string[];
}

/**
 * A header member's join: counted by index; the store that counts the last
 * distinct member sends the body, in the same atomic step, with every result
 * in index order spliced in for its first argument. A failing member fails
 * the chord once: the body is recorded FAILURE ChordError and never sent, its
 * errbacks are.
 */
export interface ChordJoin {
  id: string;
  size: number;
  index: number;
  memberId: string;
  /** The member's result as JSON text; absent when it failed. */
  resultJson?: string;
  /** The body's message, its first argument CHORD_RESULTS_PLACEHOLDER (JSON-encoded) until the last join. */
  body: Outgoing;
  onFail: { records: ResultRecord[]; enqueue: Outgoing[] };
}

/** How a worker's outcome ends its step, for the workflow; null for a retry (the step runs again, its workflow rides on). */
export function stepEndOf(outcome: { kind: string; value?: unknown; error?: { name: string; message: string }; reason?: string }): StepEnd | null {
  switch (outcome.kind) {
    case 'success':
      return { ok: true, value: outcome.value };
    case 'retry':
      return null;
    case 'revoked':
      return { ok: false, revoked: true, error: { name: 'Revoked', message: outcome.reason ?? 'revoked' } };
    case 'reject':
      return { ok: false, error: { name: 'Rejected', message: outcome.reason ?? 'rejected' } };
    default:
      return { ok: false, error: outcome.error ?? { name: 'Error', message: 'failed' } };
  }
}

/** The canvas step of `message` ending as `end`, or undefined when the message carries no workflow. */
export function canvasStepOf(config: Pick<TqConfig, 'defaultQueue' | 'maxMessageBytes'>, message: TaskMessage, end: StepEnd): CanvasStep | undefined {
  if (!hasCanvas(message)) return undefined;
  const follow = followUpsOf(message.id, message.task, message, end);
  const lineage = { parentId: message.id, rootId: message.rootId };
  const envelopes = (calls: readonly LaunchCall[], parentId = message.id): Outgoing[] => calls.map((c) => ({ envelope: envelopeOfCall(config, c, { ...lineage, parentId }), task: c.sig.task }));
  const step: CanvasStep = {
    enqueue: envelopes(follow.calls),
    records: follow.broken.steps.map((s) => brokenRecord(s, follow.broken.error)),
    groups: follow.groups,
    children: follow.children,
  };
  const link = follow.chord?.link;
  if (link) {
    // The body's first argument is the placeholder until the last member's join puts the results there.
    const body = launchSteps([link.body], { result: CHORD_RESULTS_PLACEHOLDER });
    const bodyCall = body.calls[0]!;
    const failure = end.ok ? undefined : chordFailure(link, message.id, message.task, end.error);
    step.groups.push(...body.groups);
    step.chord = {
      id: link.id,
      size: link.size,
      index: link.index,
      memberId: message.id,
      resultJson: end.ok ? JSON.stringify(end.value ?? null) : undefined,
      body: envelopes([bodyCall], link.id)[0]!,
      onFail: failure
        ? { records: [brokenRecord(failure.body, failure.body.error), ...failure.broken.map((s) => brokenRecord(s, { name: 'ChainError', message: failure.body.error.message }))], enqueue: envelopes(failure.calls, link.body.id) }
        : { records: [], enqueue: [] },
    };
  }
  return step;
}

function brokenRecord(step: StepRef, error: { name: string; message: string }): ResultRecord {
  return { id: step.id, task: step.task, state: 'FAILURE', retries: 0, error, finishedAt: isoNow() };
}
