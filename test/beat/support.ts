import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FusedStore } from '../../src/runtime/brokers/fused.js';
import type { Stores } from '../../src/runtime/brokers/index.js';
import type { Clock } from '../../src/runtime/beat/clock.js';
import { collectSchedule, type BeatEntry } from '../../src/runtime/beat/entries.js';
import { runBeat } from '../../src/runtime/beat/scheduler.js';
import { resolveConfig, type BeatEntrySpec, type TqConfig } from '../../src/runtime/config.js';
import { TaskRegistry } from '../../src/runtime/discovery.js';
import type { Logger } from '../../src/runtime/log.js';
import { decodeMessage, type Envelope, type TaskMessage } from '../../src/runtime/message.js';
import { task, type TaskOptions } from '../../src/runtime/task.js';

/**
 * A wall clock the test moves. `advance` lets time pass (sleepers wake in
 * order, and the test waits for each woken beat to go back to sleep);
 * `jump` sets the wall clock only, as an NTP step or an admin would — a
 * running sleep is not shortened or lengthened by it, like a real timer.
 */
export class FakeClock implements Clock {
  private sleepers: { remaining: number; wake: () => void }[] = [];
  private changed: (() => void)[] = [];
  sleeps = 0;

  constructor(private wall: number) {}

  now(): number {
    return this.wall;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps++;
    return new Promise((resolve) => {
      const sleeper = {
        remaining: ms,
        wake: () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          signal.removeEventListener('abort', sleeper.wake);
          resolve();
          this.notify();
        },
      };
      signal.addEventListener('abort', sleeper.wake, { once: true });
      this.sleepers.push(sleeper);
      this.notify();
    });
  }

  /** Resolves once `n` callers are asleep (the beats under test are idle). */
  async asleep(n = 1): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.sleepers.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} sleeping beat(s), have ${this.sleepers.length}`);
      await new Promise<void>((resolve) => {
        this.changed.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Lets `ms` pass; every beat asleep now is asleep again afterwards. */
  async advance(ms: number): Promise<void> {
    const beats = this.sleepers.length;
    let left = ms;
    for (;;) {
      const step = Math.min(left, ...this.sleepers.map((s) => s.remaining));
      this.wall += step;
      left -= step;
      for (const s of this.sleepers) s.remaining -= step;
      const due = this.sleepers.filter((s) => s.remaining <= 0);
      if (due.length === 0) return;
      for (const s of due) s.wake();
      await this.asleep(beats);
    }
  }

  /** Sets the wall clock forward (or back, with a negative `ms`) without time passing. */
  jump(ms: number): void {
    this.wall += ms;
  }

  private notify(): void {
    const waiting = this.changed;
    this.changed = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * The part of the broker beat uses, in memory, with claims that expire on the
 * fake clock. `sent` holds what `enqueueUnique` accepted, in order.
 */
export class MemoryBeatBroker {
  readonly kind = 'memory';
  readonly displayUrl = 'memory://';
  readonly sent: Envelope[] = [];
  readonly meta = new Map<string, { value: string; expiresAt: number | null }>();
  /** Calls to fail (each throws once), to test how beat rides out broker errors. */
  failures = 0;

  constructor(private readonly clock: { now(): number }) {}

  async enqueueUnique(envelope: Envelope, uniqueKey: string, ttlMs: number): Promise<boolean> {
    this.maybeFail();
    if (this.live(uniqueKey) !== null) return false;
    this.meta.set(uniqueKey, { value: '1', expiresAt: this.clock.now() + ttlMs });
    this.sent.push(envelope);
    return true;
  }

  async getMeta(key: string): Promise<string | null> {
    this.maybeFail();
    return this.live(key);
  }

  async setMeta(key: string, value: string, ttlMs?: number): Promise<void> {
    this.maybeFail();
    this.meta.set(key, { value, expiresAt: ttlMs === undefined ? null : this.clock.now() + ttlMs });
  }

  /** As the one store of a deployment (beat takes the fused path: claim and enqueue in one step). */
  asStores(): Stores {
    const store = this as unknown as FusedStore;
    return { broker: store, backend: store, fused: store, close: async () => undefined };
  }

  /** The scheduled times (ISO) of what was sent, per entry. */
  ticks(entry?: string): string[] {
    return this.sent.map(messageOf).filter((m) => !entry || beatHeader(m).entry === entry).map((m) => beatHeader(m).scheduledAt);
  }

  private live(key: string): string | null {
    const row = this.meta.get(key);
    if (!row || (row.expiresAt !== null && row.expiresAt <= this.clock.now())) return null;
    return row.value;
  }

  private maybeFail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('broker unreachable (test)');
    }
  }
}

export function messageOf(envelope: Envelope): TaskMessage {
  const decoded = decodeMessage(envelope.body, 1 << 20);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.message;
}

export function beatHeader(message: TaskMessage): { entry: string; scheduledAt: string } {
  return message.headers.beat as { entry: string; scheduledAt: string };
}

/** A registry with these task names (options per name optional). */
export function registryOf(tasks: Record<string, TaskOptions> | string[]): TaskRegistry {
  const registry = new TaskRegistry();
  const specs = Array.isArray(tasks) ? Object.fromEntries(tasks.map((n) => [n, {}])) : tasks;
  for (const [name, options] of Object.entries(specs)) {
    registry.add({ name, task: task(() => undefined, { ...options, name }) as never, file: `tasks/${name}.ts` });
  }
  return registry;
}

export async function configWith(beat: Record<string, BeatEntrySpec>, extra: Partial<TqConfig> = {}): Promise<TqConfig> {
  const cwd = mkdtempSync(join(tmpdir(), 'tq-beat-unit-'));
  return resolveConfig({ cwd, env: {}, overrides: { beat, ...extra } });
}

export async function entriesFor(beat: Record<string, BeatEntrySpec>, extra: Partial<TqConfig> = {}): Promise<{ config: TqConfig; entries: BeatEntry[] }> {
  const config = await configWith(beat, extra);
  const tasks = [...new Set(Object.values(beat).map((s) => s.task))];
  return { config, entries: collectSchedule(config, registryOf(tasks)) };
}

/** Log lines, kept for assertions. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (): Logger & { lines: string[] } => ({
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: () => make(),
    enabled: () => true,
    raw: (m) => lines.push(m),
  });
  return make();
}

/** Starts a beat on a fake clock; `stop()` aborts it and waits for runBeat to return. */
export function startBeat(options: { config: TqConfig; stores: Stores; entries: BeatEntry[]; clock: FakeClock; log?: ReturnType<typeof memoryLogger> }) {
  const controller = new AbortController();
  const log = options.log ?? memoryLogger();
  const done = runBeat({ ...options, log, signal: controller.signal });
  return {
    log,
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const at = (isoString: string) => Date.parse(isoString);
