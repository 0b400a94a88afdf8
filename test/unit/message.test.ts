import { describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../src/runtime/client.js';
import { resolveConfig } from '../../src/runtime/config.js';
import { decodeMessage } from '../../src/runtime/message.js';

describe('task messages', async () => {
  const config = await resolveConfig({ cwd: '/nonexistent-project', env: {} });

  it('refuses a message over the default 1 MiB limit at the producer', () => {
    expect(() => buildEnvelope(config, 'add', { args: ['x'.repeat(1024 * 1024)] })).toThrow(/over the limit of 1048576/);
    expect(() => buildEnvelope(config, 'add', { args: ['x'.repeat(1000)] })).not.toThrow();
  });

  it('round-trips a message and stamps countdown and expiry as ISO times', () => {
    const before = Date.now();
    const e = buildEnvelope(config, 'add', { args: [1, 2], countdown: 60, expires: 120, priority: 0, queue: 'q' });
    const decoded = decodeMessage(e.body, config.maxMessageBytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.message).toMatchObject({ task: 'add', args: [1, 2], queue: 'q', priority: 0, retries: 0, parentId: null });
    expect(Date.parse(decoded.message.eta!)).toBeGreaterThanOrEqual(before + 60_000);
    expect(e.etaMs).toBe(Date.parse(decoded.message.eta!));
    expect(Date.parse(decoded.message.expires!)).toBeGreaterThanOrEqual(before + 120_000);
  });

  it('refuses bad call options with clear errors', () => {
    expect(() => buildEnvelope(config, 'add', { priority: 10 })).toThrow(/priority must be a whole number from 0 to 9/);
    expect(() => buildEnvelope(config, 'add', { countdown: 1, eta: new Date() })).toThrow(/countdown or eta/);
    expect(() => buildEnvelope(config, 'add', { eta: 'tomorrow-ish' })).toThrow(/not a valid date/);
    expect(() => buildEnvelope(config, 'add', { args: [10n] })).toThrow(/cannot be encoded as JSON/);
  });

  it.each([
    ['not json', '{oops', /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['missing fields', '{"id":"x"}', /task must be a task name/],
    ['wrong types', JSON.stringify({ id: 'x', task: 'add', args: 'no', kwargs: {}, queue: 'q', priority: 1, eta: null, expires: null, retries: 0, rootId: 'x', parentId: null, headers: {} }), /args must be an array/],
    ['a __proto__ key', '{"id":"x","task":"add","args":[],"kwargs":{"__proto__":{"polluted":1}},"queue":"q","priority":1,"eta":null,"expires":null,"retries":0,"rootId":"x","parentId":null,"headers":{}}', /kwargs\.__proto__: a key that can reach an object's prototype/],
    ['a task name with a path', JSON.stringify({ id: 'x', task: '../../etc/passwd', args: [], kwargs: {}, queue: 'q', priority: 1, eta: null, expires: null, retries: 0, rootId: 'x', parentId: null, headers: {} }), /task must be a task name/],
  ])('rejects a malformed body (%s) with a reason instead of throwing', (_what, body, reason) => {
    const decoded = decodeMessage(body, 1024 * 1024);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const valid = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({ id: 'x', task: 'add', args: [], kwargs: {}, queue: 'q', priority: 1, eta: null, expires: null, retries: 0, rootId: 'x', parentId: null, headers: {}, ...fields });

  it.each([
    ['deep in kwargs', valid().replace('"kwargs":{}', '"kwargs":{"user":{"prefs":[{"__proto__":{"polluted":1}}]}}'), /kwargs\.user\.prefs\[0\]\.__proto__/],
    ['deep in args', valid().replace('"args":[]', '"args":[1,{"a":{"__proto__":{"polluted":1}}}]'), /args\[1\]\.a\.__proto__/],
    ['in headers', valid().replace('"headers":{}', '"headers":{"trace":{"__proto__":{"polluted":1}}}'), /headers\.trace\.__proto__/],
    ['spelt with a JSON escape', valid().replace('"kwargs":{}', '"kwargs":{"a":{"\\u005f_proto__":{"polluted":1}}}'), /kwargs\.a\.__proto__/],
    ['as constructor.prototype', valid().replace('"kwargs":{}', '"kwargs":{"constructor":{"prototype":{"polluted":1}}}'), /kwargs\.constructor\.prototype/],
  ])('dead-letters a prototype key at any depth (%s), and no prototype gains anything', (_what, body, reason) => {
    const decoded = decodeMessage(body, 1024 * 1024);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('lets plain data named constructor or prototype through', () => {
    const decoded = decodeMessage(valid({ kwargs: { constructor: 'Ferrari', prototype: { wheels: 4 } }, args: [{ constructor: { name: 'x' } }] }), 1024 * 1024);
    expect(decoded.ok).toBe(true);
  });

  it('refuses at send time what a worker would dead-letter: a bad name, a prototype key at any depth, a bad id', () => {
    expect(() => buildEnvelope(config, '../../etc/passwd', {})).toThrow(/is not a valid task name/);
    expect(() => buildEnvelope(config, 'has space', {})).toThrow(/is not a valid task name/);
    expect(() => buildEnvelope(config, 'x'.repeat(201), {})).toThrow(/is not a valid task name/);
    expect(() => buildEnvelope(config, 'mail.send:v2-x_y', {})).not.toThrow();
    const deep = JSON.parse('{"a":[{"b":{"__proto__":{"polluted":1}}}]}') as Record<string, unknown>;
    expect(() => buildEnvelope(config, 'add', { kwargs: deep })).toThrow(/kwargs\.a\[0\]\.b\.__proto__/);
    expect(() => buildEnvelope(config, 'add', { args: [deep] })).toThrow(/args\[0\]\.a\[0\]\.b\.__proto__/);
    expect(() => buildEnvelope(config, 'add', { headers: deep })).toThrow(/headers\.a\[0\]\.b\.__proto__/);
    expect(() => buildEnvelope(config, 'add', { taskId: '' })).toThrow(/task id must be a string of 1 to 200/);
    expect(() => buildEnvelope(config, 'add', { taskId: 'i'.repeat(201) })).toThrow(/task id must be a string of 1 to 200/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => buildEnvelope(config, 'add', { kwargs: cycle })).toThrow(/cannot be encoded as JSON/);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
