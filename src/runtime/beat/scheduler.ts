import type { Stores } from '../brokers/index.js';
import type { TqConfig } from '../config.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from './clock.js';
import type { BeatEntry } from './entries.js';
import { planTicks } from './plan.js';
import { claimTtlMs, sendTick, tickEnvelope, tickKey, watermarkKey, watermarkTtlMs } from './tick.js';

export interface RunBeatOptions {
  config: TqConfig;
  stores: Stores;
  entries: readonly BeatEntry[];
  log: Logger;
  signal: AbortSignal;
  clock?: Clock;
}

/** The longest beat sleeps at once, so a wall clock set forward is noticed within this time. */
export const MAX_SLEEP_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

interface EntryState {
  entry: BeatEntry;
  /** The last tick this process knows was handled (sent by someone, or dropped by catch-up); null while unseen. */
  watermark: number | null;
  /** When to visit next; null = at once. */
  dueAt: number | null;
  failures: number;
}

/**
 * Runs the scheduler until `signal` aborts; resolves promptly then.
 *
 * Loop states: visiting (each entry whose time has come) → sleeping (until the
 * earliest next tick, at most MAX_SLEEP_MS) → visiting … → stopped. An abort
 * ends a sleep at once; while visiting, the broker call in flight completes
 * first so the watermark stays true.
 *
 * Entry states: unseen (no watermark anywhere: the first tick after now is the
 * first one sent) → tracking (watermark = last tick handled).
 *
 * Exactly once: each tick is sent with `enqueueUnique` under a key derived
 * from entry + time, so any number of beats, restarts and stalls send it at
 * most once; the watermark (in the broker) only saves work and bounds catch-up.
 */
export async function runBeat(options: RunBeatOptions): Promise<void> {
  const { log, signal } = options;
  const clock = options.clock ?? systemClock;
  const states: EntryState[] = options.entries.map((entry) => ({ entry, watermark: null, dueAt: null, failures: 0 }));
  if (states.length === 0) log.warn('no periodic tasks: nothing to schedule (declare beat entries in tq.config or a schedule on a task)');

  while (!signal.aborted) {
    for (const state of states) {
      if (signal.aborted) break;
      const now = clock.now();
      if (state.dueAt !== null && state.dueAt > now) continue;
      try {
        state.dueAt = await visit(state, now, { ...options, clock });
        if (state.failures > 0) log.info(`${state.entry.name}: broker reachable again`);
        state.failures = 0;
      } catch (err) {
        state.failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (state.failures - 1));
        log.error(`${state.entry.name}: ${(err as Error)?.message ?? String(err)} (retrying in ${backoff / 1000}s)`);
        state.dueAt = clock.now() + backoff;
      }
    }
    const wakeAt = Math.min(...states.map((s) => s.dueAt ?? 0), clock.now() + MAX_SLEEP_MS);
    const delay = wakeAt - clock.now();
    if (delay > 0 && !signal.aborted) await clock.sleep(delay, signal);
  }
}

/** Sends what is due for one entry; returns when to visit it next. */
async function visit(state: EntryState, now: number, options: RunBeatOptions & { clock: Clock }): Promise<number | null> {
  const { entry } = state;
  const { stores, log, config, clock, signal } = options;
  const meta = stores.backend;
  const key = watermarkKey(entry.name);
  const stored = parseWatermark(await meta.getMeta(key));
  let watermark = maxOf(stored, state.watermark);

  if (watermark === null) {
    watermark = entry.schedule.latest(now) ?? now;
    await meta.setMeta(key, String(watermark), watermarkTtlMs(entry, watermark));
    state.watermark = watermark;
    log.debug(`${entry.name}: first run of this entry; first tick ${iso(entry.schedule.next(Math.max(watermark, now)))}`);
    return entry.schedule.next(Math.max(watermark, now));
  }
  if (watermark > now && state.watermark === null) {
    log.warn(`${entry.name}: last tick handled is ${iso(watermark)}, ahead of this clock (${iso(now)}); waiting for the clock to pass it`);
  }

  const plan = planTicks(entry.schedule, entry.catchUp, watermark, now);
  if (plan.skipped > 0) {
    log.warn(`${entry.name}: ${plan.skipped} missed tick(s) not sent (catchUp: ${JSON.stringify(entry.catchUp)})`);
  }
  for (const tick of plan.send) {
    if (signal.aborted) break;
    const envelope = tickEnvelope(config, entry, tick, clock.now());
    const sent = await sendTick(stores, envelope, entry.task, tickKey(entry.name, tick), claimTtlMs(entry, tick));
    if (sent) log.info(`sent ${entry.name} → ${entry.task}[${envelope.id}] (tick ${iso(tick)})`);
    else log.debug(`${entry.name}: tick ${iso(tick)} was already sent by another beat`);
    watermark = tick;
    await meta.setMeta(key, String(tick), watermarkTtlMs(entry, tick));
  }
  if (!signal.aborted && plan.watermark > watermark) {
    watermark = plan.watermark;
    await meta.setMeta(key, String(watermark), watermarkTtlMs(entry, watermark));
  }
  state.watermark = watermark;
  const next = entry.schedule.next(Math.max(watermark, now));
  if (next === null) log.info(`${entry.name}: the schedule has no further ticks`);
  return next === null ? Number.POSITIVE_INFINITY : next;
}

function parseWatermark(raw: string | null): number | null {
  if (raw === null) return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function iso(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString();
}
