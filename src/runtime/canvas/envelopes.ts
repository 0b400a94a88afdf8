import type { TqConfig } from '../config.js';
import { buildEnvelope } from '../envelope.js';
import type { Envelope } from '../message.js';
import type { LaunchCall } from './launch.js';

/** Where a launched call sits in its workflow: who sent it, and the workflow's first task. */
export interface Lineage {
  parentId: string | null;
  rootId: string;
}

/**
 * The message of one launched call, with its frozen id, its options made
 * absolute now (countdown and expiry count from when the step is sent), and
 * the workflow it carries on. Checked like any send (task name, prototype
 * keys, size).
 */
export function envelopeOfCall(config: Pick<TqConfig, 'defaultQueue' | 'maxMessageBytes'>, call: LaunchCall, lineage: Lineage): Envelope {
  const { sig, args, fields } = call;
  const o = sig.options ?? {};
  return buildEnvelope(config, sig.task, {
    taskId: sig.id,
    args,
    kwargs: sig.kwargs,
    queue: o.queue,
    priority: o.priority,
    countdown: o.countdown,
    expires: o.expires,
    timeLimit: o.timeLimit,
    softTimeLimit: o.softTimeLimit,
    parentId: lineage.parentId,
    rootId: lineage.rootId,
    canvas: fields,
  });
}

/**
 * The placeholder a chord body's message carries as its first argument until
 * the store that counts the last member puts the header's results there
 * (JSON text spliced in place of this string's JSON, so no result is decoded
 * and encoded again). A NUL cannot appear unescaped in JSON, and the id and
 * task name before `args` cannot hold it, so its first occurrence is this.
 */
export const CHORD_RESULTS_PLACEHOLDER = '\u0000tq:chord-results\u0000';
export const CHORD_RESULTS_JSON = JSON.stringify(CHORD_RESULTS_PLACEHOLDER);

/** Puts the header's results (each a JSON text, in index order) into a body template. */
export function spliceChordResults(body: string, resultsJson: readonly string[]): string {
  const at = body.indexOf(CHORD_RESULTS_JSON);
  return at === -1 ? body : `${body.slice(0, at)}[${resultsJson.join(',')}]${body.slice(at + CHORD_RESULTS_JSON.length)}`;
}
