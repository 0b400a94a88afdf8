import { createHash } from 'node:crypto';
import type { CanvasFields, WireOptions, WireSignature, WireStep } from '../canvas/wire.js';
import type { TaskMessage } from '../message.js';

/**
 * A workflow in Celery's terms: the body's third item (`embed`) holds signature
 * dicts — `callbacks` (link), `errbacks` (link_error), `chain` (the steps still
 * to run, LAST FIRST: the worker pops from the end) and `chord` (the body of
 * the chord this task is a header member of).
 *
 * tq writes both: the embed, so a Python worker runs a tq workflow's links and
 * chain steps, and tq's own canvas whole in the TQ_CANVAS_HEADER header, which
 * Celery ignores (unknown headers are), so a tq worker keeps what Celery's embed
 * cannot say (groups inside a chain, a chord's size and its counting).
 */
export const TQ_CANVAS_HEADER = 'tq_canvas';

export interface CeleryEmbed {
  callbacks?: CelerySignature[] | null;
  errbacks?: CelerySignature[] | null;
  chain?: CelerySignature[] | null;
  chord?: CelerySignature | null;
}

/** Celery's signature dict (celery/canvas.py Signature): what `.s()` sends. */
export interface CelerySignature {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  subtask_type: string | null;
  immutable: boolean;
  chord_size?: number | null;
}

/** The embed of a tq message. */
export function embedOf(m: TaskMessage): CeleryEmbed {
  const chain = m.chain?.filter((s): s is WireSignature => !('group' in s && 'members' in s)) ?? [];
  return {
    callbacks: m.link?.map(celerySignature) ?? null,
    errbacks: m.linkError?.map(celerySignature) ?? null,
    // Only a chain of plain calls can be said to Celery; one with a group in it is tq's alone (TQ_CANVAS_HEADER).
    chain: m.chain && chain.length === m.chain.length ? chain.map(celerySignature).reverse() : null,
    chord: m.chord ? celerySignature(m.chord.body) : null,
  };
}

function celerySignature(s: WireSignature): CelerySignature {
  const o = s.options ?? {};
  const options: Record<string, unknown> = { task_id: s.id };
  if (o.queue !== undefined) options.queue = o.queue;
  if (o.priority !== undefined) options.priority = o.priority;
  if (o.countdown !== undefined) options.countdown = o.countdown;
  if (o.expires !== undefined) options.expires = o.expires;
  if (o.timeLimit !== undefined) options.time_limit = o.timeLimit;
  if (o.softTimeLimit !== undefined) options.soft_time_limit = o.softTimeLimit;
  if (s.link) options.link = s.link.map(celerySignature);
  if (s.linkError) options.link_error = s.linkError.map(celerySignature);
  return { task: s.task, args: s.args, kwargs: s.kwargs, options, subtask_type: null, immutable: s.immutable === true, chord_size: null };
}

/**
 * The canvas fields of a Celery message, or why it cannot run here. tq's own
 * header wins when present (a tq sender wrote it, whole); otherwise the embed
 * is read. Signatures without a frozen id get one derived from the parent's id
 * and their place, so a redelivered parent sends the same ids again.
 */
export function canvasFromEmbed(embed: CeleryEmbed, headers: Record<string, unknown>, parentId: string): CanvasFields | string {
  const own = headers[TQ_CANVAS_HEADER];
  if (typeof own === 'object' && own !== null && !Array.isArray(own)) return own as CanvasFields;
  const fields: CanvasFields = {};
  try {
    if (Array.isArray(embed.callbacks) && embed.callbacks.length > 0) fields.link = embed.callbacks.map((s, i) => tqSignature(s, `${parentId}/link/${i}`));
    if (Array.isArray(embed.errbacks) && embed.errbacks.length > 0) fields.linkError = embed.errbacks.map((s, i) => tqSignature(s, `${parentId}/errback/${i}`));
    if (Array.isArray(embed.chain) && embed.chain.length > 0) {
      fields.chain = [...embed.chain].reverse().map((s, i): WireStep => tqStep(s, `${parentId}/chain/${i}`));
    }
  } catch (err) {
    return (err as Error).message;
  }
  if (embed.chord) {
    // Celery keeps a chord's size in its result backend, not in the message; tq's count needs it in the message.
    return 'a member of a chord sent by Celery: tq workers cannot count Celery chords (route the chord to Python workers)';
  }
  return fields;
}

function tqStep(s: CelerySignature, seed: string): WireStep {
  if (s?.subtask_type === 'group') {
    const tasks = (s.kwargs as { tasks?: CelerySignature[] })?.tasks;
    if (!Array.isArray(tasks)) throw new Error('a group in the chain has no tasks');
    return { group: idOf(s, seed), members: tasks.map((t, i) => tqSignature(t, `${seed}/${i}`)) };
  }
  if (s?.subtask_type) throw new Error(`a ${s.subtask_type} inside a Celery chain is not supported by tq workers`);
  return tqSignature(s, seed);
}

function tqSignature(s: CelerySignature, seed: string): WireSignature {
  if (typeof s !== 'object' || s === null || typeof s.task !== 'string') throw new Error('a signature in the embed has no task name');
  if (s.subtask_type) throw new Error(`a nested ${s.subtask_type} in the embed is not supported by tq workers`);
  const o = (s.options ?? {}) as Record<string, unknown>;
  const options: WireOptions = {};
  if (typeof o.queue === 'string') options.queue = o.queue;
  if (typeof o.priority === 'number') options.priority = o.priority;
  if (typeof o.countdown === 'number') options.countdown = o.countdown;
  if (typeof o.expires === 'number') options.expires = o.expires;
  if (typeof o.time_limit === 'number') options.timeLimit = o.time_limit;
  if (typeof o.soft_time_limit === 'number') options.softTimeLimit = o.soft_time_limit;
  const sig: WireSignature = { id: idOf(s, seed), task: s.task, args: Array.isArray(s.args) ? s.args : [], kwargs: isObject(s.kwargs) ? s.kwargs : {} };
  if (s.immutable) sig.immutable = true;
  if (Object.keys(options).length > 0) sig.options = options;
  if (Array.isArray(o.link) && o.link.length > 0) sig.link = (o.link as CelerySignature[]).map((l, i) => tqSignature(l, `${seed}/link/${i}`));
  if (Array.isArray(o.link_error) && o.link_error.length > 0) {
    sig.linkError = (o.link_error as CelerySignature[]).map((l, i) => tqSignature(l, `${seed}/errback/${i}`));
  }
  return sig;
}

/** The signature's frozen id, or a UUID-shaped one derived from where it sits. */
function idOf(s: CelerySignature, seed: string): string {
  const frozen = (s.options as Record<string, unknown> | undefined)?.task_id;
  if (typeof frozen === 'string' && frozen.length > 0) return frozen;
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
