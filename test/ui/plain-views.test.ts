import { describe, expect, it } from 'vitest';
import type { StoredEvent, TqEventType } from '../../src/runtime/cluster.js';
import { renderEvent } from '../../src/ui/event-line.js';
import { renderAnswers, renderStatus } from '../../src/ui/inspect-view.js';
import { renderResult, renderValue } from '../../src/ui/result-view.js';
import { HOSTILE, HOSTILE_SHOWN, TERMINAL_CONTROL } from '../support/hostile.js';
import { heartbeat, T0 } from './fixtures.js';

const TYPES: TqEventType[] = ['task-sent', 'task-received', 'task-started', 'task-progress', 'task-succeeded', 'task-failed', 'task-retried', 'task-revoked', 'task-rejected', 'worker-online', 'worker-heartbeat', 'worker-offline'];
const stripColour = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('tq events lines', () => {
  it.each([false, true])('start what follows the type in one column for every type (colour %s)', (color) => {
    const lines = TYPES.map((type) => stripColour(renderEvent({ eventId: '1', type, at: '2026-11-23T10:00:00.000Z', hostname: 'w1' } as StoredEvent, color)));
    const columns = new Set(lines.map((l) => l.indexOf(' w1')));
    expect(columns.size).toBe(1);
    expect([...columns][0]).toBe('2026-11-23T10:00:00.000Z '.length + 'worker-heartbeat'.length);
  });

  it('show names, ids, hostnames and details with their control characters made visible', () => {
    const line = renderEvent({ eventId: '1', type: 'task-failed', at: '2026-11-23T10:00:00.000Z', task: HOSTILE, taskId: HOSTILE, hostname: HOSTILE, data: { error: { message: HOSTILE } } }, true);
    expect(stripColour(line)).not.toMatch(TERMINAL_CONTROL);
    expect(line).toContain(`${HOSTILE_SHOWN}[${HOSTILE_SHOWN}] on ${HOSTILE_SHOWN}`);
    expect(line).toContain('"message":"A\\u001b]0;pwned\\u0007B\\u001b[2JC\\u009b31mD"');
  });
});

describe('tq inspect dead / scheduled', () => {
  const body = JSON.stringify({ id: 'd-1', task: 'send_mail', args: [HOSTILE] });
  it('lists id, task name, queue, when, the reason and the body preview, neutralised', () => {
    const dead = renderAnswers('dead', [{ source: 'sqlite:///x', ok: true, data: [{ id: 'd-1', task: 'send_mail', queue: 'mail', reason: `boom ${HOSTILE}`, body, deadAt: '2026-11-23T10:00:00.000Z' }] }]);
    expect(dead).toBe([
      '-> sqlite:///x: OK',
      '    * d-1 send_mail [mail] dead at 2026-11-23T10:00:00.000Z',
      `      reason: boom ${HOSTILE_SHOWN}`,
      '      body:   {"id":"d-1","task":"send_mail","args":["A\\u001b]0;pwned\\u0007B\\u001b[2JC\\x9b31mD"]}',
    ].join('\n'));
    const scheduled = renderAnswers('scheduled', [{ source: 'sqlite:///x', ok: true, data: [{ id: 's-1', task: null, queue: 'default', eta: '2026-11-23T11:00:00.000Z', body: '{not json' }] }]);
    expect(scheduled).toBe(['-> sqlite:///x: OK', '    * s-1 (task unknown) [default] eta 2026-11-23T11:00:00.000Z', '      body:   {not json'].join('\n'));
    expect(renderAnswers('dead', [{ source: 'b', ok: true, data: [] }])).toBe('-> b: OK\n    (empty)');
  });

  it('neutralises worker replies and errors too', () => {
    const text = renderAnswers('active', [
      { source: HOSTILE, ok: true, data: [{ id: HOSTILE, name: HOSTILE, state: 'active', args: [HOSTILE] }] },
      { source: 'w2', ok: false, data: `bad ${HOSTILE}` },
    ]);
    expect(text).not.toMatch(TERMINAL_CONTROL);
    expect(text).toContain(`-> ${HOSTILE_SHOWN}: OK`);
    expect(text).toContain(`bad ${HOSTILE_SHOWN}`);
  });
});

describe('tq status', () => {
  it('lists online workers first, says how long ago each was seen, and folds the long-offline ones into one line', () => {
    const text = renderStatus([
      heartbeat('a-old', { sentAt: new Date(T0 - 3 * 3600_000).toISOString() }),
      heartbeat('b-recent', { sentAt: new Date(T0 - 125_000).toISOString() }),
      heartbeat('c-up'),
      heartbeat(`d${HOSTILE}`),
    ], T0);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^c-up: online .* last seen 1\.0s ago$/);
    expect(lines[1]).toMatch(/^dA\\x1b\]0;pwned.*: online /);
    expect(lines[2]).toMatch(/^b-recent: offline .* last seen 2m05s ago$/);
    expect(lines[3]).toBe('+ 1 offline for over 5 min (--json lists them)');
    expect(text).toContain('2 node(s) online.');
    expect(text).not.toMatch(TERMINAL_CONTROL);
  });
});

describe('tq result and tq call --wait', () => {
  it('show the error, traceback, result and progress note with control characters made visible, the traceback on its lines', () => {
    const text = renderResult({
      id: 't-1', task: 'hostile', state: 'FAILURE', retries: 0, worker: HOSTILE,
      error: { name: 'Error', message: HOSTILE, stack: `Error: ${HOSTILE}\n    at ${HOSTILE}` },
      progress: { fraction: 0.5, note: HOSTILE },
    } as never, true);
    expect(stripColour(text)).not.toMatch(TERMINAL_CONTROL);
    expect(text).toContain(`error:     Error: ${HOSTILE_SHOWN}`);
    expect(text).toContain(`traceback:\n  Error: ${HOSTILE_SHOWN}\n      at ${HOSTILE_SHOWN}`);
    expect(text).toContain(`progress:  50% ${HOSTILE_SHOWN}`);
    expect(renderValue(`line 1\n${HOSTILE}`)).toBe(`line 1\n${HOSTILE_SHOWN}`);
    expect(renderValue({ v: HOSTILE })).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(renderValue({ v: HOSTILE }))).toEqual({ v: HOSTILE });
  });
});
