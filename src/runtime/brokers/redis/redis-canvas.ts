import type { ChordJoinRequest, ChordJoinState } from '../backend.js';
import { CHORD_RESULTS_JSON } from '../../canvas/envelopes.js';
import type { CanvasStep } from '../../canvas/step.js';
import type { Outgoing } from '../../message.js';
import type { ResultRecord } from '../../states.js';
import type { Arg, Scripts } from './scripts.js';

/** A workflow step in one canvas-step.lua call (its ARGV layout is in the script's header). */
export async function applyCanvasStep(scripts: Scripts, prefix: string, ttlMs: number, step: CanvasStep): Promise<string> {
  const args: Arg[] = [prefix, ttlMs, CHORD_RESULTS_JSON];
  pushMessages(args, step.enqueue);
  pushRecords(args, step.records);
  args.push(step.groups.length);
  for (const g of step.groups) args.push(`group:${g.id}`, JSON.stringify({ members: g.members, body: g.body }));
  const c = step.chord;
  if (c) {
    const b = c.body.envelope;
    args.push(c.id, c.size, c.index, c.resultJson ?? '', b.id, b.queue, b.priority, b.etaMs ?? 0, b.body);
    pushRecords(args, c.onFail.records);
    pushMessages(args, c.onFail.enqueue);
  } else args.push('');
  return scripts['canvas-step'](args);
}

export async function joinChord(scripts: Scripts, prefix: string, ttlMs: number, join: ChordJoinRequest): Promise<ChordJoinState> {
  const [state, ...results] = await scripts['join-chord']([prefix, join.id, join.size, join.index, join.resultJson ?? '', ttlMs]);
  return state === 'complete' ? { state, results } : { state: state as 'failed' | 'counted' };
}

function pushMessages(args: Arg[], outgoing: readonly Outgoing[]): void {
  args.push(outgoing.length);
  for (const { envelope: e } of outgoing) args.push(e.id, e.queue, e.priority, e.etaMs ?? 0, e.body);
}

function pushRecords(args: Arg[], records: readonly ResultRecord[]): void {
  args.push(records.length);
  for (const r of records) args.push(r.id, JSON.stringify(r));
}
