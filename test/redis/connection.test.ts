import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/runtime/brokers/broker.js';
import { openBroker } from '../../src/runtime/brokers/index.js';
import { TqError } from '../../src/runtime/errors.js';
import { envelope, request } from '../contract/fixtures.js';
import { freePort, startRedisServer, type RedisServer } from '../support/redis-server.js';

/** Reaching Redis: clear failures within 5 s, masked passwords, TLS, and riding out a restart. */
describe('redis connection', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const open = async (url: string, extra: Partial<Parameters<typeof openBroker>[0]> = {}) => {
    const broker = await openBroker({ url, projectRoot: process.cwd(), resultExpiresMs: 60_000, keyPrefix: 'tq:', ...extra });
    cleanups.push(() => broker.close());
    return broker;
  };
  const server = async (options: Parameters<typeof startRedisServer>[0] = {}) => {
    const s = await startRedisServer(options);
    cleanups.push(() => s.stop());
    return s;
  };
  const failure = async (url: string, extra: Partial<Parameters<typeof openBroker>[0]> = {}) => {
    const started = Date.now();
    const err = await open(url, extra).then(
      () => new Error('connected'),
      (e: unknown) => e,
    );
    return { err: err as TqError, ms: Date.now() - started };
  };

  it('fails at once, with the password masked, when nothing listens', async () => {
    const port = await freePort();
    const { err, ms } = await failure(`redis://user:hunter2@127.0.0.1:${port}/0`);
    expect(err).toBeInstanceOf(TqError);
    expect(err.code).toBe('BROKER_UNREACHABLE');
    expect(err.message).toContain(`redis://user:***@127.0.0.1:${port}/0`);
    expect(err.message).not.toContain('hunter2');
    expect(ms).toBeLessThan(5_000);
  });

  it('gives up within 5 s on a server that accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(resolve))));
    const { err, ms } = await failure(`redis://:hunter2@127.0.0.1:${(silent.address() as { port: number }).port}/0`);
    expect(err.code).toBe('BROKER_UNREACHABLE');
    expect(err.message).not.toContain('hunter2');
    expect(ms).toBeLessThan(5_000);
  }, 15_000);

  it('reports a wrong password without printing it', async () => {
    const s = await server({ config: { requirepass: 'right-one' } });
    const { err } = await failure(`redis://:wrong-one@127.0.0.1:${s.port}/0`);
    expect(err.code).toBe('BROKER_REFUSED'); // reached, and refused: not "unreachable"; exit 4 all the same
    expect(err.message).not.toContain('wrong-one');
    expect(err.message).toContain('***');
    const broker = await open(`redis://:right-one@127.0.0.1:${s.port}/0`);
    expect(broker.displayUrl).toBe(`redis://:***@127.0.0.1:${s.port}/0`);
  });

  it('speaks TLS on rediss:// with the CA given, and refuses a server it cannot verify', async () => {
    const certs = makeCertificates();
    cleanups.push(() => rmSync(certs.dir, { recursive: true, force: true }));
    const s = await server({ tls: certs });
    const url = s.url.replace('127.0.0.1', 'localhost');
    const broker = await open(url, { redisTls: { ca: certs.ca } });
    await broker.enqueue([envelope()]);
    expect(await broker.reserve(request('w'))).toHaveLength(1);
    const { err } = await failure(url);
    expect(err.code).toBe('BROKER_UNREACHABLE');
  });

  it('rides out a Redis restart: waiting calls complete and a blocked worker consumes again', async () => {
    const s: RedisServer = await server({ appendonly: true });
    const broker: Broker = await open(s.url);
    const before = envelope();
    await broker.enqueue([before]);
    const blocked = broker.reserve(request('w', 5, { waitMs: 30_000, queues: ['other'] }));
    await new Promise((r) => setTimeout(r, 100));
    await s.kill9();
    const duringOutage = broker.enqueue([envelope({ queue: 'other' })]); // waits for Redis to come back
    await s.restart();
    const back = Date.now();
    await duringOutage;
    expect(await blocked).toHaveLength(1);
    expect(Date.now() - back).toBeLessThan(5_000);
    // What was acknowledged before the crash is still there (AOF, fsync always).
    const [again] = await broker.reserve(request('w'));
    expect(again?.id).toBe(before.id);
  }, 30_000);

  it('keeps the blocked wait of a reserve on its own connection (commands still flow)', async () => {
    const s = await server();
    const broker = await open(s.url);
    const blocked = broker.reserve(request('w', 1, { waitMs: 1_000, queues: ['idle'] }));
    const started = Date.now();
    await broker.enqueue([envelope()]);
    expect((await broker.stats(['default']))[0]!.ready).toBe(1);
    expect(Date.now() - started).toBeLessThan(500);
    await blocked;
    const admin = new Redis(s.url);
    cleanups.push(() => admin.disconnect());
    expect(await admin.ping()).toBe('PONG');
  });
});

/** A throw-away CA and a server certificate for localhost, made with openssl. */
function makeCertificates(): { dir: string; ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tq-tls-'));
  const p = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=tq test CA', '-keyout', p('ca.key'), '-out', p('ca.crt'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', p('server.key'), '-out', p('server.csr'));
  const ext = p('ext.cnf');
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > '${ext}'`]);
  ssl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', p('server.crt'));
  return { dir, ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}
