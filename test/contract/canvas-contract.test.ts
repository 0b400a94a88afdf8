import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHORD_RESULTS_PLACEHOLDER } from '../../src/runtime/canvas/envelopes.js';
import type { CanvasStep, ChordJoin } from '../../src/runtime/canvas/step.js';
import type { FusedStore } from '../../src/runtime/brokers/fused.js';
import { encodeMessage, type Outgoing } from '../../src/runtime/message.js';
import { harnesses } from './brokers.js';
import { useHarness } from './harness.js';
import { request } from './fixtures.js';

/** A message of `task` with these arguments, as a workflow step sends it. */
function outgoing(task: string, args: unknown[], id = randomUUID()): Outgoing {
  const m = { id, task, args, kwargs: {}, queue: 'default', priority: 4, eta: null, expires: null, retries: 0, rootId: 'root', parentId: 'parent', headers: {} };
  return { envelope: encodeMessage(m, 1 << 20), task };
}

function join(chordId: string, index: number, size: number, body: Outgoing, resultJson?: string): ChordJoin {
  const failure = { id: body.envelope.id, task: body.task, state: 'FAILURE' as const, retries: 0, error: { name: 'ChordError', message: `member ${index} failed` } };
  return { id: chordId, size, index, memberId: `m${index}`, resultJson, body, onFail: { records: [failure], enqueue: [outgoing('errback', [])] } };
}

const step = (over: Partial<CanvasStep> = {}): CanvasStep => ({ enqueue: [], records: [], groups: [], children: [], ...over });

/** The workflow verbs of a store that is broker and backend (FusedStore.applyCanvas, Backend.joinChord), on SQLite and Redis. */
describe.each(harnesses)('canvas contract: $name', (harness) => {
  const open = useHarness(harness);
  const drain = async (store: FusedStore) => {
    const all = [];
    for (;;) {
      const got = await store.reserve(request('w', 100));
      if (got.length === 0) return all;
      all.push(...got);
    }
  };

  it('sends the next steps of a step once, however often the step is finished again', async () => {
    const store = (await open()) as FusedStore;
    const next = outgoing('add', [1, 2]);
    const broken = { id: randomUUID(), task: 'later', state: 'FAILURE' as const, retries: 0, error: { name: 'ChainError', message: 'x' } };
    const twice = step({ enqueue: [next], records: [broken], groups: [{ id: 'g1', members: ['a', 'b'] }] });
    expect(await store.applyCanvas(twice)).toBe('');
    expect(await store.applyCanvas(twice)).toBe('');
    expect((await drain(store)).map((r) => r.id)).toEqual([next.envelope.id]);
    expect(await store.getResult(broken.id)).toMatchObject({ state: 'FAILURE', error: { name: 'ChainError' } });
    expect(JSON.parse((await store.getMeta('group:g1'))!)).toEqual({ members: ['a', 'b'] });
  });

  it('counts each header index once and adds the body with the last count, results in index order', async () => {
    const store = (await open()) as FusedStore;
    const chordId = randomUUID();
    const body = outgoing('collect', [CHORD_RESULTS_PLACEHOLDER, 'extra']);
    // Out of order, one member twice (delivered again after a crash).
    expect(await store.applyCanvas(step({ chord: join(chordId, 2, 3, body, '"c"') }))).toBe('counted');
    expect(await store.applyCanvas(step({ chord: join(chordId, 0, 3, body, '{"a":1}') }))).toBe('counted');
    expect(await store.applyCanvas(step({ chord: join(chordId, 0, 3, body, '{"a":1}') }))).toBe('counted');
    expect(await drain(store)).toEqual([]);
    expect(await store.applyCanvas(step({ chord: join(chordId, 1, 3, body, '[2]') }))).toBe('complete');
    // Complete now: a member finished again adds no second body.
    expect(await store.applyCanvas(step({ chord: join(chordId, 1, 3, body, '[2]') }))).toBe('complete');
    const [only, ...more] = await drain(store);
    expect(more).toEqual([]);
    expect(only!.id).toBe(body.envelope.id);
    expect(JSON.parse(only!.body).args).toEqual([[{ a: 1 }, [2], 'c'], 'extra']);
  });

  it('fails a chord once: the body is recorded ChordError and never added, the errback added once', async () => {
    const store = (await open()) as FusedStore;
    const chordId = randomUUID();
    const body = outgoing('collect', [CHORD_RESULTS_PLACEHOLDER]);
    expect(await store.applyCanvas(step({ chord: join(chordId, 0, 2, body, '1') }))).toBe('counted');
    expect(await store.applyCanvas(step({ chord: join(chordId, 1, 2, body) }))).toBe('failed');
    expect(await store.applyCanvas(step({ chord: join(chordId, 1, 2, body) }))).toBe('counted');
    expect(await store.applyCanvas(step({ chord: join(chordId, 0, 2, body, '1') }))).toBe('counted');
    expect((await drain(store)).map((r) => JSON.parse(r.body).task)).toEqual(['errback']);
    expect(await store.getResult(body.envelope.id)).toMatchObject({ state: 'FAILURE', error: { name: 'ChordError' } });
  });

  it('joins a chord in the backend alone (split deployments): distinct indexes, complete to every join from then on, failed once', async () => {
    const backend = (await open()) as FusedStore;
    const id = randomUUID();
    expect(await backend.joinChord({ id, size: 2, index: 1, resultJson: '"b"' })).toEqual({ state: 'counted' });
    expect(await backend.joinChord({ id, size: 2, index: 1, resultJson: '"b"' })).toEqual({ state: 'counted' });
    expect(await backend.joinChord({ id, size: 2, index: 0, resultJson: '"a"' })).toEqual({ state: 'complete', results: ['"a"', '"b"'] });
    expect(await backend.joinChord({ id, size: 2, index: 0, resultJson: '"a"' })).toEqual({ state: 'complete', results: ['"a"', '"b"'] });
    const failing = randomUUID();
    expect(await backend.joinChord({ id: failing, size: 2, index: 0 })).toEqual({ state: 'failed' });
    expect(await backend.joinChord({ id: failing, size: 2, index: 0 })).toEqual({ state: 'counted' });
    expect(await backend.joinChord({ id: failing, size: 2, index: 1, resultJson: '1' })).toEqual({ state: 'counted' });
  });
});
