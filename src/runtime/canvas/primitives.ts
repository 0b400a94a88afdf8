import { TqError } from '../errors.js';
import { newTaskId } from '../ids.js';
import type { WireOptions, WireSignature, WireStep } from './wire.js';

/** Per-call options a signature takes (`.set()`); times in seconds, `eta` absolute. */
export interface SignatureOptions extends WireOptions {
  taskId?: string;
}

/** Anything that can be sent: a signature or a workflow of them. */
export type Canvas = Signature | Chain | Group | Chord;

/**
 * A call of a task not sent yet (Celery's signature): `add.s(2, 3)`. Values
 * are immutable: `set`, `link` and `linkError` return a changed copy.
 * `add.si(2, 3)` (immutable) ignores a parent's result in a chain.
 */
export class Signature {
  readonly kind = 'signature';

  constructor(
    readonly task: string,
    readonly args: readonly unknown[] = [],
    readonly kwargs: Readonly<Record<string, unknown>> = {},
    readonly options: Readonly<SignatureOptions> = {},
    readonly immutable = false,
    readonly callbacks: readonly Signature[] = [],
    readonly errbacks: readonly Signature[] = [],
  ) {
    if (typeof task !== 'string' || !/^[\w.:-]{1,200}$/.test(task)) throw new TqError('BAD_INPUT', `'${String(task).slice(0, 200)}' is not a task name`);
    if (!Array.isArray(args)) throw new TqError('BAD_INPUT', 'signature arguments must be an array');
  }

  /** A copy with these options merged in (queue, priority, countdown, expires, timeLimit, softTimeLimit, taskId). */
  set(options: SignatureOptions): Signature {
    return new Signature(this.task, this.args, this.kwargs, { ...this.options, ...options }, this.immutable, this.callbacks, this.errbacks);
  }

  /** A copy that sends `callback` with this task's result as first argument once it succeeds. */
  link(callback: Signature): Signature {
    return new Signature(this.task, this.args, this.kwargs, this.options, this.immutable, [...this.callbacks, callback], this.errbacks);
  }

  /** A copy that sends `errback` with `{ id, task, error }` once this task fails for good. */
  linkError(errback: Signature): Signature {
    return new Signature(this.task, this.args, this.kwargs, this.options, this.immutable, this.callbacks, [...this.errbacks, errback]);
  }

  /** A copy with more arguments appended (a partial call completed) and kwargs merged. */
  extend(args: readonly unknown[], kwargs: Record<string, unknown> = {}): Signature {
    return new Signature(this.task, [...this.args, ...args], { ...this.kwargs, ...kwargs }, this.options, this.immutable, this.callbacks, this.errbacks);
  }
}

/** Tasks one after another, each result the first argument of the next. */
export class Chain {
  readonly kind = 'chain';
  readonly steps: readonly Canvas[];
  constructor(steps: readonly Canvas[]) {
    // chain(a, chain(b, c)) is chain(a, b, c)
    this.steps = steps.flatMap((s) => (s instanceof Chain ? s.steps : [s]));
  }
}

/** Tasks run in parallel; its result is the list of theirs, in order. */
export class Group {
  readonly kind = 'group';
  constructor(readonly members: readonly Canvas[]) {}
}

/** A group whose body runs once, with every header result in header order, when all succeeded. */
export class Chord {
  readonly kind = 'chord';
  constructor(
    readonly header: Group,
    readonly body: Canvas,
  ) {}
}

export function signature(name: string, args: readonly unknown[] = [], options: SignatureOptions = {}): Signature {
  return new Signature(name, args, {}, options);
}

export function chain(...steps: Canvas[]): Chain {
  return new Chain(steps);
}

export function group(...members: (Canvas | readonly Canvas[])[]): Group {
  return new Group(members.flatMap((m) => (Array.isArray(m) ? (m as Canvas[]) : [m as Canvas])));
}

export function chord(header: Group | readonly Canvas[], body: Canvas): Chord {
  return new Chord(header instanceof Group ? header : new Group(header), body);
}

/**
 * The workflow as wire steps with every id frozen. A chain is its steps; a
 * chord is its header followed by its body (a group followed by a step is a
 * chord, as in Celery).
 */
export function freeze(canvas: Canvas): WireStep[] {
  switch (canvas.kind) {
    case 'signature':
      return [freezeSignature(canvas)];
    case 'chain':
      return canvas.steps.flatMap(freeze);
    case 'group':
      return [{ group: newTaskId(), members: canvas.members.map(asMember) }];
    case 'chord':
      return [...freeze(canvas.header), ...freeze(canvas.body)];
  }
}

function freezeSignature(sig: Signature): WireSignature {
  const { taskId, ...options } = sig.options;
  const wire: WireSignature = { id: taskId ?? newTaskId(), task: sig.task, args: [...sig.args], kwargs: { ...sig.kwargs } };
  if (sig.immutable) wire.immutable = true;
  if (Object.keys(options).length > 0) wire.options = options;
  if (sig.callbacks.length > 0) wire.link = sig.callbacks.map(freezeSignature);
  if (sig.errbacks.length > 0) wire.linkError = sig.errbacks.map(freezeSignature);
  return wire;
}

/** A group member as one signature: a chain member becomes its first step carrying the rest. */
function asMember(canvas: Canvas): WireSignature {
  const [first, ...rest] = freeze(canvas);
  if (!first || 'group' in first) throw new TqError('BAD_INPUT', 'a group member must start with a task (a group inside a group is not supported)');
  return rest.length > 0 ? { ...first, chain: [...(first.chain ?? []), ...rest] } : first;
}
