import { getDefaultClient, type Client } from '../client.js';
import { TqError } from '../errors.js';
import { newTaskId } from '../ids.js';
import type { AsyncResult } from '../result.js';
import type { GroupResult } from './group-result.js';
import type { WireOptions, WireSignature, WireStep } from './wire.js';

/** What every workflow can do: be sent (on the default client, or one given). */
abstract class Sendable {
  /** Sends it now; resolves once the broker has its first messages. */
  applyAsync(options: SignatureOptions = {}, client?: Client): Promise<AsyncResult | GroupResult> {
    return sendOn(client, withOptions(this as unknown as Canvas, options));
  }
}

async function sendOn(client: Client | undefined, canvas: Canvas): Promise<AsyncResult | GroupResult> {
  const steps = await freeze(canvas);
  const { sendSteps } = await import('./send.js');
  return sendSteps(client ?? (await getDefaultClient()), steps);
}

/** Options given at send time apply to a workflow's first signature (a lone signature: to it). */
function withOptions(canvas: Canvas, options: SignatureOptions): Canvas {
  if (Object.keys(options).length === 0) return canvas;
  if (canvas instanceof Signature) return canvas.set(options);
  if (canvas instanceof Chain) return new Chain([withOptions(canvas.steps[0]!, options), ...canvas.steps.slice(1)]);
  throw new TqError('BAD_INPUT', 'options at send time are for a task or a chain; set them on the signatures of a group or chord');
}

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
export class Signature extends Sendable {
  readonly kind = 'signature';

  constructor(
    readonly task: string,
    readonly args: readonly unknown[] = [],
    readonly kwargs: Readonly<Record<string, unknown>> = {},
    readonly options: Readonly<SignatureOptions> = {},
    readonly immutable = false,
    readonly callbacks: readonly Signature[] = [],
    readonly errbacks: readonly Signature[] = [],
    /** Where the name comes from when `task` is '' (a task object whose export name is learnt on first use). */
    readonly nameFrom?: () => Promise<string>,
    /** Where the leading arguments come from when they need such a name too (map over a task object). */
    private readonly argsFrom?: () => Promise<unknown[]>,
  ) {
    super();
    if (!(task === '' && nameFrom)) checkName(task);
    if (!Array.isArray(args)) throw new TqError('BAD_INPUT', 'signature arguments must be an array');
  }

  /** A copy with these options merged in (queue, priority, countdown, expires, timeLimit, softTimeLimit, taskId). */
  set(options: SignatureOptions): Signature {
    return this.copy({ options: { ...this.options, ...options } });
  }

  /** A copy that sends `callback` with this task's result as first argument once it succeeds. */
  link(callback: Signature): Signature {
    return this.copy({ callbacks: [...this.callbacks, callback] });
  }

  /** A copy that sends `errback` with `{ id, task, error }` once this task fails for good. */
  linkError(errback: Signature): Signature {
    return this.copy({ errbacks: [...this.errbacks, errback] });
  }

  /** A copy with more arguments appended (a partial call completed) and kwargs merged. */
  extend(args: readonly unknown[], kwargs: Record<string, unknown> = {}): Signature {
    return this.copy({ args: [...this.args, ...args], kwargs: { ...this.kwargs, ...kwargs } });
  }

  /** Its arguments, the deferred leading ones first. */
  async allArgs(): Promise<unknown[]> {
    return this.argsFrom ? [...(await this.argsFrom()), ...this.args] : [...this.args];
  }

  /** Its task name, learnt first if need be. */
  async name(): Promise<string> {
    if (this.task !== '') return this.task;
    const name = await this.nameFrom!();
    checkName(name);
    return name;
  }

  private copy(c: Partial<Pick<Signature, 'args' | 'kwargs' | 'options' | 'callbacks' | 'errbacks'>>): Signature {
    return new Signature(this.task, c.args ?? this.args, c.kwargs ?? this.kwargs, c.options ?? this.options, this.immutable, c.callbacks ?? this.callbacks, c.errbacks ?? this.errbacks, this.nameFrom, this.argsFrom);
  }

  /** Sends it, with `args` appended to its own (Celery's partial call). */
  delay(...args: unknown[]): Promise<AsyncResult> {
    return this.extend(args).applyAsync() as Promise<AsyncResult>;
  }
}

/** Tasks one after another, each result the first argument of the next. */
export class Chain extends Sendable {
  readonly kind = 'chain';
  readonly steps: readonly Canvas[];
  constructor(steps: readonly Canvas[]) {
    super();
    // chain(a, chain(b, c)) is chain(a, b, c)
    this.steps = steps.flatMap((s) => (s instanceof Chain ? s.steps : [s]));
  }

  /** Sends the chain; resolves to the handle of its last step (revoke() revokes every step not started). */
  delay(): Promise<AsyncResult | GroupResult> {
    return this.applyAsync();
  }
}

/** Tasks run in parallel; its result is the list of theirs, in order. */
export class Group extends Sendable {
  readonly kind = 'group';
  constructor(readonly members: readonly Canvas[]) {
    super();
  }

  /** Sends every member in one broker round trip; resolves to the GroupResult. */
  delay(): Promise<GroupResult> {
    return this.applyAsync() as Promise<GroupResult>;
  }
}

/** A group whose body runs once, with every header result in header order, when all succeeded. */
export class Chord extends Sendable {
  readonly kind = 'chord';
  constructor(
    readonly header: Group,
    readonly body: Canvas,
  ) {
    super();
  }

  /** Sends the header; resolves to the body's handle (its value: the body's, given the header's results in order). */
  delay(): Promise<AsyncResult | GroupResult> {
    return this.applyAsync();
  }
}

/** A signature by task name (Celery's signature()); `immutable: true` is what a task's `.si()` gives. */
export function signature(name: string, args: readonly unknown[] = [], options: SignatureOptions & { kwargs?: Record<string, unknown>; immutable?: boolean } = {}): Signature {
  const { kwargs, immutable, ...rest } = options;
  return new Signature(name, args, kwargs ?? {}, rest, immutable ?? false);
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
export async function freeze(canvas: Canvas): Promise<WireStep[]> {
  switch (canvas.kind) {
    case 'signature':
      return [await freezeSignature(canvas)];
    case 'chain':
      return (await Promise.all(canvas.steps.map(freeze))).flat();
    case 'group':
      return [{ group: newTaskId(), members: await Promise.all(canvas.members.map(asMember)) }];
    case 'chord':
      return [...(await freeze(canvas.header)), ...(await freeze(canvas.body))];
  }
}

async function freezeSignature(sig: Signature): Promise<WireSignature> {
  const { taskId, ...options } = sig.options;
  const wire: WireSignature = { id: taskId ?? newTaskId(), task: await sig.name(), args: await sig.allArgs(), kwargs: { ...sig.kwargs } };
  if (sig.immutable) wire.immutable = true;
  if (Object.keys(options).length > 0) wire.options = options;
  if (sig.callbacks.length > 0) wire.link = await Promise.all(sig.callbacks.map(freezeSignature));
  if (sig.errbacks.length > 0) wire.linkError = await Promise.all(sig.errbacks.map(freezeSignature));
  return wire;
}

function checkName(task: unknown): void {
  if (typeof task !== 'string' || !/^[\w.:-]{1,200}$/.test(task)) throw new TqError('BAD_INPUT', `'${String(task).slice(0, 200)}' is not a task name`);
}

/** A group member as one signature: a chain member becomes its first step carrying the rest. */
async function asMember(canvas: Canvas): Promise<WireSignature> {
  const [first, ...rest] = await freeze(canvas);
  if (!first || 'group' in first) throw new TqError('BAD_INPUT', 'a group member must start with a task (a group inside a group is not supported)');
  return rest.length > 0 ? { ...first, chain: [...(first.chain ?? []), ...rest] } : first;
}

/** What map, starmap and chunks take: a task object (its .s()) or a task name. */
type TaskLike = string | { s(...args: unknown[]): Signature };

/** A built-in task's signature whose first argument names `task` (learnt first when it is a task object). */
function nameSignature(task: TaskLike, builtin: string, args: unknown[]): Signature {
  if (typeof task === 'string') return new Signature(builtin, [task, ...args]);
  const of = task.s();
  return new Signature(builtin, args, {}, of.options, false, [], [], undefined, async () => [await of.name()]);
}

/**
 * One task that runs `task` on each item, in order, in one worker (Celery's
 * xmap): its value is the list of values. `starmap` spreads each item (an
 * array) as the arguments.
 */
export function map(task: TaskLike, items: readonly unknown[]): Signature {
  return nameSignature(task, 'tq.map', [[...items]]);
}

export function starmap(task: TaskLike, items: readonly (readonly unknown[])[]): Signature {
  return nameSignature(task, 'tq.starmap', [items.map((i) => [...i])]);
}

/** `items` (argument lists) cut into chunks of `n`, each a starmap task, all in one group: its value is the list of each chunk's list. */
export function chunks(task: TaskLike, items: readonly (readonly unknown[])[], n: number): Group {
  if (!Number.isInteger(n) || n < 1) throw new TqError('BAD_INPUT', `chunks need a size of at least 1, got ${n}`);
  const parts: Signature[] = [];
  for (let i = 0; i < items.length; i += n) parts.push(starmap(task, items.slice(i, i + n)));
  return new Group(parts);
}
