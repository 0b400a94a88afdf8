import { describe, expect, it } from 'vitest';
import type { ControlCommand, StoredEvent } from '../../src/runtime/cluster.js';
import { fromCeleryCall, toCeleryCall } from '../../src/runtime/celery/cluster/commands.js';
import { fromCeleryEvent, toCeleryTaskEvent } from '../../src/runtime/celery/cluster/events.js';
import { MergedEvents, type EventSource } from '../../src/runtime/celery/cluster/merged-events.js';
import { celeryChannels, celeryNodeName, tqNamesOf } from '../../src/runtime/celery/cluster/names.js';
import { fromCeleryReply, toCeleryReply } from '../../src/runtime/celery/cluster/replies.js';
import { decodeTransient, encodeTransient } from '../../src/runtime/celery/cluster/transient.js';

/** The translations between tq's control and events and Celery's wire forms, without a broker. */
describe("Celery's channel names on kombu's Redis transport", () => {
  it("puts kombu's fanout prefix /<db>. and the global key prefix where kombu does", () => {
    const c = celeryChannels('redis://127.0.0.1:6379/3', 'app:');
    expect(c.pidbox).toBe('app:/3.celery.pidbox');
    expect(c.events('task.succeeded')).toBe('app:/3.celeryev/task.succeeded');
    expect(c.eventsPattern).toBe('app:/3.celeryev/*');
    expect(c.replyBinding).toBe('app:_kombu.binding.reply.celery.pidbox');
    expect(c.replyMember('oid1')).toBe('oid1\x06\x16\x06\x16oid1.reply.celery.pidbox');
    expect(c.replyQueue('oid1')).toBe('app:oid1.reply.celery.pidbox');
    expect(celeryChannels('redis://127.0.0.1:6379', '').pidbox).toBe('/0.celery.pidbox');
  });

  it('names a tq worker without an @ as Celery names a worker started with -n <name>', () => {
    expect(celeryNodeName('tq-1@box')).toBe('tq-1@box');
    expect(celeryNodeName('box')).toBe('celery@box');
    expect(tqNamesOf('celery@box')).toEqual(['celery@box', 'box']);
    expect(tqNamesOf('w1@box')).toEqual(['w1@box']);
  });
});

describe('control: tq commands ↔ Celery calls and replies', () => {
  const commands: ControlCommand[] = [
    { verb: 'ping' },
    { verb: 'active' },
    { verb: 'registered' },
    { verb: 'query_task', ids: ['a', 'b'] },
    { verb: 'revoke', ids: ['a'], terminate: true },
    { verb: 'rate_limit', task: 'add', rate: '10/m' },
    { verb: 'time_limit', task: 'add', soft: 1, hard: 2 },
    { verb: 'pool_grow', n: 2 },
    { verb: 'add_consumer', queue: 'q' },
    { verb: 'shutdown' },
  ];
  it.each(commands)('sends $verb as a Celery worker reads it, and reads it back the same', (command) => {
    expect(fromCeleryCall(toCeleryCall(command))).toEqual(command);
  });

  it("reads Celery's aliases and argument forms: dump_active, one task id, terminate, a rate of 0", () => {
    expect(fromCeleryCall({ method: 'dump_active', arguments: {} })).toEqual({ verb: 'active' });
    expect(fromCeleryCall({ method: 'revoke', arguments: { task_id: 'x' } })).toEqual({ verb: 'revoke', ids: ['x'], terminate: false });
    expect(fromCeleryCall({ method: 'terminate', arguments: { signal: 'SIGTERM', task_id: ['x'] } })).toEqual({ verb: 'revoke', ids: ['x'], terminate: true });
    expect(fromCeleryCall({ method: 'rate_limit', arguments: { task_name: 'add', rate_limit: 0 } })).toEqual({ verb: 'rate_limit', task: 'add', rate: '0' });
    expect(fromCeleryCall({ method: 'hello', arguments: { from_node: 'py@h', revoked: {} } })).toEqual({ verb: 'revoked' });
    expect(fromCeleryCall({ method: 'conf', arguments: {} })).toBeNull();
  });

  it("answers as Celery's worker/control.py does, and reads a Python worker's answers as tq's", () => {
    expect(toCeleryReply({ verb: 'ping' }, { ok: true, data: 'pong' }, 1)).toEqual({ ok: 'pong' });
    expect(toCeleryReply({ verb: 'revoke', ids: ['a', 'b'], terminate: false }, { ok: true, data: { revoked: [] } }, 1)).toEqual({ ok: 'tasks a, b flagged as revoked' });
    expect(toCeleryReply({ verb: 'rate_limit', task: 'x', rate: '1/s' }, { ok: false, data: "no task 'x'" }, 1)).toEqual({ error: "no task 'x'" });
    expect(fromCeleryReply({ verb: 'ping' }, { ok: 'pong' }, 'py@h')).toEqual({ ok: true, data: 'pong' });
    expect(fromCeleryReply({ verb: 'registered' }, ['add [rate_limit=10/m]', 'echo'], 'py@h')).toEqual({ ok: true, data: ['add', 'echo'] });
    expect(fromCeleryReply({ verb: 'rate_limit', task: 'x', rate: '1/s' }, { error: 'unknown task' }, 'py@h')).toEqual({ ok: false, data: 'unknown task' });
    const active = fromCeleryReply({ verb: 'active' }, [{ id: 'i', name: 'add', args: [1], kwargs: {}, hostname: 'py@h', time_start: 1700000000, delivery_info: { routing_key: 'celery' } }], 'py@h');
    expect(active.data).toEqual([{ id: 'i', name: 'add', args: [1], kwargs: {}, queue: 'celery', worker: 'py@h', state: 'active', startedAt: '2023-11-14T22:13:20.000Z' }]);
  });

  it("wraps bodies in kombu's envelope (base64 body, transient) and reads them back", () => {
    const raw = encodeTransient({ method: 'ping' }, { clock: 3 }, 'celery.pidbox', '');
    const parsed = JSON.parse(raw) as { properties: Record<string, unknown>; body: string };
    expect(parsed.properties).toMatchObject({ body_encoding: 'base64', delivery_mode: 1, delivery_info: { exchange: 'celery.pidbox', routing_key: '' } });
    expect(Buffer.from(parsed.body, 'base64').toString()).toBe('{"method":"ping"}');
    expect(decodeTransient(raw)).toEqual({ body: { method: 'ping' }, headers: { clock: 3 } });
    expect(decodeTransient('not json')).toBeNull();
  });
});

describe('events: tq ↔ Celery', () => {
  const source = { pid: 42, clock: () => 7 };
  it("sends a success with Celery's fields: uuid, result as a repr, runtime in seconds", () => {
    const e = toCeleryTaskEvent({ type: 'task-succeeded', at: '2026-01-01T00:00:00.000Z', taskId: 't1', task: 'add', hostname: 'w@h', data: { runtimeMs: 1500, result: '"ok"' } }, 'w@h', source);
    expect(e).toMatchObject({ type: 'task-succeeded', uuid: 't1', hostname: 'w@h', result: "'ok'", runtime: 1.5, pid: 42, clock: 7, timestamp: 1767225600 });
  });

  it('sends a failure as the exception repr and traceback; nothing for task-progress', () => {
    const failed = toCeleryTaskEvent({ type: 'task-failed', at: '2026-01-01T00:00:00.000Z', taskId: 't1', data: { error: { name: 'ValueError', message: 'boom', stack: 'at x' } } }, 'w@h', source);
    expect(failed).toMatchObject({ exception: "ValueError('boom')", traceback: 'at x' });
    expect(toCeleryTaskEvent({ type: 'task-progress', at: '2026-01-01T00:00:00.000Z', taskId: 't1' }, 'w@h', source)).toBeNull();
  });

  it("reads a Python worker's event as a tq event", () => {
    expect(fromCeleryEvent({ type: 'task-succeeded', uuid: 'u', hostname: 'py@h', timestamp: 1767225600, result: '2', runtime: 0.25 })).toEqual({
      type: 'task-succeeded', at: '2026-01-01T00:00:00.000Z', hostname: 'py@h', taskId: 'u', data: { runtimeMs: 250, result: '2' },
    });
    expect(fromCeleryEvent({ type: 'custom-thing', timestamp: 1 })).toBeNull();
  });

  it('merges two event sources under one cursor that resumes each where it was', async () => {
    const source = (events: StoredEvent[]): EventSource => ({
      latestEventId: async () => events.at(-1)?.eventId ?? null,
      readEvents: async (after, max) => events.filter((e) => after === null || e.eventId > after).slice(0, max),
    });
    const ev = (eventId: string, hostname: string): StoredEvent => ({ type: 'worker-heartbeat', at: '2026-01-01T00:00:00.000Z', hostname, eventId });
    const merged = new MergedEvents(source([ev('1-0:0', 'tq'), ev('2-0:0', 'tq')]), source([ev('1', 'py')]));
    const all = await merged.readEvents(null, 10, 0);
    expect(all.map((e) => [e.hostname, e.eventId])).toEqual([['tq', '1-0:0|'], ['tq', '2-0:0|'], ['py', '2-0:0|1']]);
    expect(await merged.readEvents('1-0:0|1', 10, 0)).toEqual([expect.objectContaining({ eventId: '2-0:0|1' })]);
    expect(await merged.latestEventId()).toBe('2-0:0|1');
    expect(await merged.readEvents('2-0:0|1', 10, 0)).toEqual([]);
  });
});
