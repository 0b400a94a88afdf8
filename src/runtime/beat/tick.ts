import { createHash } from 'node:crypto';
import type { Stores } from '../brokers/index.js';
import { dispatch } from '../dispatch.js';
import { buildEnvelope } from '../envelope.js';
import type { TqConfig } from '../config.js';
import type { Envelope } from '../message.js';
import type { BeatEntry } from './entries.js';
import { periodAt, tickAfter } from './schedule.js';

/**
 * Everything that names one tick (entry + scheduled time) in the broker. The
 * names depend on nothing else, so every beat, before or after a restart,
 * derives the same ones: that is what makes the claim exactly-once.
 */

/** How long a claim outlives the last moment any beat could still try the tick: stalls, clock skew. */
export const CLAIM_MARGIN_MS = 60 * 60 * 1000;
/** An entry no beat has touched for this long starts afresh (its missed ticks are not caught up). */
export const WATERMARK_IDLE_MS = 30 * 24 * 60 * 60 * 1000;

/** UUIDv5 namespace for tick ids (a fixed random UUID). */
const TICK_NAMESPACE = Buffer.from('6f1d7c2e4b8a4e3f9c5d0a1b2c3d4e5f', 'hex');

/** The task id of a tick: a UUID (v5) derived from entry and time, so the same tick always has the same id. */
export function tickId(entryName: string, tick: number): string {
  const hash = createHash('sha1').update(TICK_NAMESPACE).update(`${entryName}\n${tick}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The set-if-absent key a tick is claimed under (the broker adds its own prefix). */
export function tickKey(entryName: string, tick: number): string {
  return `beat:tick:${entryName}:${new Date(tick).toISOString()}`;
}

export function watermarkKey(entryName: string): string {
  return `beat:watermark:${entryName}`;
}

/**
 * How long the claim on `tick` must live. A beat only tries a tick while it is
 * among the ticks its catch-up policy would still send — until the N-th tick
 * after it is due — and after its watermark passed the tick, not at all. The
 * claim covers that window plus a margin for stalled processes and clock skew.
 */
export function claimTtlMs(entry: BeatEntry, tick: number): number {
  const keep = typeof entry.catchUp === 'object' ? entry.catchUp.all : 1;
  const until = tickAfter(entry.schedule, tick, keep + 1);
  return (until === null ? 0 : until - tick) + CLAIM_MARGIN_MS;
}

export function watermarkTtlMs(entry: BeatEntry, tick: number): number {
  return WATERMARK_IDLE_MS + claimTtlMs(entry, tick);
}

/**
 * The message for one tick, sent at `sentAt`. It expires `expires` after it is
 * sent — by default one period later, when the next tick replaces it — so
 * ticks don't pile up while no worker runs.
 */
export function tickEnvelope(config: TqConfig, entry: BeatEntry, tick: number, sentAt: number): Envelope {
  const expiresMs = entry.expiresMs ?? periodAt(entry.schedule, tick);
  const id = tickId(entry.name, tick);
  return buildEnvelope(config, entry.task, {
    taskId: id,
    args: [...entry.args],
    kwargs: { ...entry.kwargs },
    queue: entry.queue,
    priority: entry.priority,
    expires: expiresMs === null ? undefined : new Date(sentAt + expiresMs),
    headers: { beat: { entry: entry.name, scheduledAt: new Date(tick).toISOString() } },
  });
}

/**
 * Sends a tick exactly once among all beats. On one store the claim and the
 * enqueue are one atomic step. On a split deployment the claim is taken in
 * the backend first and the message sent after; a send that fails gives the
 * claim up, so the next visit tries again. (A beat killed between the two
 * loses that one tick: exactly once becomes at most once there.)
 */
export async function sendTick(stores: Stores, envelope: Envelope, task: string, key: string, ttlMs: number): Promise<boolean> {
  if (stores.fused) return stores.fused.enqueueUnique(envelope, key, ttlMs);
  if (!(await stores.backend.claimMeta(key, String(Date.now()), ttlMs))) return false;
  try {
    await dispatch(stores, [{ envelope, task }], false);
  } catch (err) {
    await stores.backend.deleteMeta(key).catch(() => undefined);
    throw err;
  }
  return true;
}
