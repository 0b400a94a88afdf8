import type { Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { celeryPublish, decodeDelivery, republishOptions } from '../../src/runtime/celery/amqp/messages.js';
import { encodeMessage, type TaskMessage } from '../../src/runtime/message.js';

/** Celery's AMQP form ⇄ tq messages, without a broker (the interop tests run the same against RabbitMQ and Python). */
const base: TaskMessage = {
  id: 't-1', task: 'add', args: [2, 3], kwargs: {}, queue: 'celery', priority: 2, eta: null, expires: null, retries: 0, rootId: 't-1', parentId: null, headers: {},
};

function delivered(body: string, properties: Partial<Message['properties']>): Message {
  return { content: Buffer.from(body), fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'celery' }, properties: { headers: {}, ...properties } } as unknown as Message;
}

describe('Celery messages on AMQP', () => {
  it('publishes what Celery publishes, AMQP priority 9 − tq priority, and reads it back as the same tq message', () => {
    const envelope = encodeMessage(base, 1 << 20);
    const { body, options } = celeryPublish(envelope, 1 << 20);
    expect(options).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', correlationId: 't-1', replyTo: '', deliveryMode: 2, priority: 7 });
    expect(JSON.parse(body)).toEqual([[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    const back = decodeDelivery('celery', delivered(body, { ...options, headers: { ...options.headers, 'x-tq-publish': 't-1#0' } }));
    expect(back).toMatchObject({ ok: true, message: { id: 't-1', task: 'add', args: [2, 3], priority: 2, headers: {} } });
  });

  it("reads kombu's default priority 0 (none given) as tq's last, 9", () => {
    const d = decodeDelivery('celery', delivered('[[1], {}, {}]', { contentType: 'application/json', contentEncoding: 'utf-8', priority: 0, headers: { id: 'p', task: 'add' } }));
    expect(d).toMatchObject({ ok: true, message: { priority: 9 } });
  });

  it('moves a hand-back delay into the eta header (the only delay on Celery’s layout)', () => {
    const etaMs = Date.now() + 60_000;
    const { options } = celeryPublish({ ...encodeMessage(base, 1 << 20), etaMs }, 1 << 20);
    expect(Date.parse(String(options.headers!.eta))).toBe(etaMs);
    // Six fraction digits, as Python writes them: Celery 5.2's parse_iso8601 reads the digits as microseconds.
    expect(String(options.headers!.eta)).toMatch(/T\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  it('says why a delivery is not a Celery task message, without throwing', () => {
    const json = { contentType: 'application/json', contentEncoding: 'utf-8' };
    expect(decodeDelivery('celery', delivered('{}', { ...json, headers: {} }))).toMatchObject({ ok: false, reason: expect.stringMatching(/no Celery headers/) });
    expect(decodeDelivery('celery', delivered('x', { contentType: 'application/x-yaml', headers: { id: 'y', task: 'add' } }))).toMatchObject({ ok: false, id: 'y', reason: expect.stringMatching(/application\/json only/) });
    expect(decodeDelivery('celery', delivered('[[], {}, {}]', { ...json, contentEncoding: 'binary', headers: { id: 'b', task: 'add' } }))).toMatchObject({ ok: false, reason: expect.stringMatching(/not utf-8/) });
    expect(decodeDelivery('celery', delivered('nope', { ...json, headers: { id: 'n', task: 'add' } }))).toMatchObject({ ok: false, id: 'n', reason: expect.stringMatching(/not JSON/) });
  });

  it("republishes a message as it arrived, without tq's own notes or RabbitMQ's x-death", () => {
    const m = delivered('[[], {}, {}]', { contentType: 'application/json', contentEncoding: 'utf-8', correlationId: 'c', replyTo: '', priority: 3, deliveryMode: 2, headers: { id: 'c', task: 'add', 'x-tq-reason': 'why', 'x-death': [] } });
    expect(republishOptions(m)).toEqual({ headers: { id: 'c', task: 'add' }, contentType: 'application/json', contentEncoding: 'utf-8', correlationId: 'c', replyTo: '', priority: 3, deliveryMode: 2, messageId: 'c' });
  });
});
