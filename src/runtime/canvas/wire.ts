/**
 * How a workflow travels inside task messages (the native protocol): plain
 * JSON, every call frozen with its task id when the workflow is sent, so a
 * worker that repeats a step after a crash sends the same ids again (and a
 * broker that keeps ids unique drops the copy). Nothing here names code: a
 * signature names a task, which the worker looks up in its registry.
 */

/** Per-call options a signature keeps until it is sent (times relative, in seconds). */
export interface WireOptions {
  queue?: string;
  priority?: number;
  countdown?: number;
  /** Seconds after the step is sent. */
  expires?: number;
  timeLimit?: number;
  softTimeLimit?: number;
}

/** One call not yet sent. */
export interface WireSignature {
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Ignores the parent's result (`si`): its arguments are used as given. */
  immutable?: boolean;
  options?: WireOptions;
  /** Sent with this task's result as first argument once it succeeds. */
  link?: WireSignature[];
  /** Sent with a description of the failure once this task fails for good. */
  linkError?: WireSignature[];
  /** What runs after this task succeeds: the next step gets its result. */
  chain?: WireStep[];
  /** The chord or group place this step takes when it ends a member chain (its message carries it). */
  joins?: { chord?: ChordLink; group?: GroupLink };
}

/** A group inside a chain: its members run in parallel; followed by a step, it is a chord with that step as body. */
export interface WireGroup {
  group: string;
  members: WireSignature[];
}

export type WireStep = WireSignature | WireGroup;

/** A header member's tie to its chord: the body runs once every index in 0..size-1 succeeded. */
export interface ChordLink {
  id: string;
  index: number;
  size: number;
  body: WireSignature;
}

/** A group member's place in its group. */
export interface GroupLink {
  id: string;
  index: number;
  size: number;
}

/** The canvas fields a task message may carry, all optional. */
export interface CanvasFields {
  link?: WireSignature[];
  linkError?: WireSignature[];
  chain?: WireStep[];
  group?: GroupLink;
  chord?: ChordLink;
}

export function isGroupStep(step: WireStep): step is WireGroup {
  return (step as WireGroup).group !== undefined;
}

/** A workflow nested deeper than this is refused (a message must not be able to exhaust the stack). */
const MAX_DEPTH = 64;
/** Calls in one message's workflow, at most (a group of 10,000 sends its members one message each). */
const MAX_SIGNATURES = 100_000;
const TASK_NAME = /^[\w.:-]{1,200}$/;

/**
 * What is wrong with a message's canvas fields, if anything. Used by the
 * worker's decode: a malformed workflow is dead-lettered like any malformed
 * message, never half-run.
 */
export function canvasProblems(m: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const budget = { left: MAX_SIGNATURES };
  const check = (what: string, ok: boolean) => ok || problems.push(what);
  if (m.link !== undefined) check('link must be a list of signatures', isSignatureList(m.link, 0, budget));
  if (m.linkError !== undefined) check('linkError must be a list of signatures', isSignatureList(m.linkError, 0, budget));
  if (m.chain !== undefined) check('chain must be a list of steps', isStepList(m.chain, 0, budget));
  if (m.group !== undefined) check('group must be { id, index, size }', isPlace(m.group));
  if (m.chord !== undefined) {
    const c = m.chord as Record<string, unknown>;
    check('chord must be { id, index, size, body }', isPlace(c) && isSignature(c.body, 0, budget));
  }
  return problems;
}

function isPlace(v: unknown): boolean {
  if (!isObject(v)) return false;
  const size = v.size as number;
  return isId(v.id) && Number.isInteger(size) && size >= 0 && Number.isInteger(v.index) && (v.index as number) >= 0 && (v.index as number) < Math.max(size, 1);
}

function isStepList(v: unknown, depth: number, budget: { left: number }): boolean {
  return Array.isArray(v) && v.every((s) => (isObject(s) && s.group !== undefined ? isGroup(s, depth, budget) : isSignature(s, depth, budget)));
}

function isGroup(v: Record<string, unknown>, depth: number, budget: { left: number }): boolean {
  return isId(v.group) && isSignatureList(v.members, depth, budget);
}

function isSignatureList(v: unknown, depth: number, budget: { left: number }): boolean {
  return Array.isArray(v) && v.every((s) => isSignature(s, depth, budget));
}

function isSignature(v: unknown, depth: number, budget: { left: number }): boolean {
  if (depth > MAX_DEPTH || --budget.left < 0 || !isObject(v)) return false;
  const ok =
    isId(v.id) &&
    typeof v.task === 'string' &&
    TASK_NAME.test(v.task) &&
    Array.isArray(v.args) &&
    isObject(v.kwargs) &&
    (v.immutable === undefined || typeof v.immutable === 'boolean') &&
    (v.options === undefined || isObject(v.options));
  if (!ok) return false;
  return (
    (v.link === undefined || isSignatureList(v.link, depth + 1, budget)) &&
    (v.linkError === undefined || isSignatureList(v.linkError, depth + 1, budget)) &&
    (v.chain === undefined || isStepList(v.chain, depth + 1, budget)) &&
    (v.joins === undefined || isJoins(v.joins, depth + 1, budget))
  );
}

function isJoins(v: unknown, depth: number, budget: { left: number }): boolean {
  if (!isObject(v)) return false;
  const chord = v.chord as Record<string, unknown> | undefined;
  return (v.group === undefined || isPlace(v.group)) && (chord === undefined || (isPlace(chord) && isSignature(chord.body, depth, budget)));
}

function isId(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0 && v.length <= 200;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
