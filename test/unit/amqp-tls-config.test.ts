import { describe, expect, it } from 'vitest';
import { openBroker } from '../../src/runtime/brokers/index.js';
import { TqError } from '../../src/runtime/errors.js';

/** An unreadable TLS file is a config error (exit 2) naming the file, not "RabbitMQ unreachable" (exit 4). */
describe('RabbitMQ TLS options', () => {
  it('refuses a CA file that cannot be read with CONFIG, before dialling', async () => {
    const err = await openBroker({
      url: 'amqps://guest:guest@127.0.0.1:5671/',
      projectRoot: process.cwd(),
      resultExpiresMs: 60_000,
      keyPrefix: 'tq:',
      amqpTls: { ca: '/nonexistent/tq-test-ca.pem' },
    }).then(
      () => new Error('opened'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TqError);
    expect((err as TqError).code).toBe('CONFIG');
    expect((err as TqError).message).toMatch(/cannot read the RabbitMQ TLS CA file \/nonexistent\/tq-test-ca.pem/);
  });
});
