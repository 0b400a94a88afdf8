import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export interface RedisServerOptions {
  /** AOF with `appendfsync always`: nothing acknowledged is lost to a SIGKILL (fault tests). */
  appendonly?: boolean;
  /** Extra `--name value` settings, e.g. { requirepass: 'secret' }. */
  config?: Record<string, string>;
  /** Serve TLS only (PEM file paths); the URL is then rediss://. */
  tls?: { cert: string; key: string; ca: string };
  /**
   * More command-line arguments, as redis-server takes them, for settings of
   * several words: ['--maxmemory', '2mb'], ['--user', 'ro', 'on', '>pw', '~tq:*', '+@read'],
   * ['--replicaof', '127.0.0.1', '6379'].
   */
  args?: string[];
}

export interface RedisServer {
  url: string;
  port: number;
  /** The running server's pid (changes on restart). */
  readonly pid: number;
  dir: string;
  /** Shuts the server down and removes its directory. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: no shutdown save. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and directory (after kill9). */
  restart(): Promise<void>;
}

/**
 * Starts a real `redis-server` on a free loopback port in a fresh temp dir, so
 * tests can stop, kill and restart it. Never skips: a missing binary is an error
 * that says what to install.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'tq-redis-'));
  const port = await freePort();
  const tls = options.tls;
  const args = [
    ...(tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(port)]),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--daemonize', 'no',
    '--loglevel', 'warning',
    '--logfile', join(dir, 'redis.log'),
    '--maxmemory-policy', 'noeviction',
    ...(options.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...Object.entries(options.config ?? {}).flatMap(([k, v]) => [`--${k}`, v]),
    ...(options.args ?? []),
  ];
  let child: ChildProcess | undefined;
  const exitedChild = new WeakSet<ChildProcess>();

  const start = async () => {
    const proc = spawn(bin, args, { stdio: 'ignore' });
    live.add(proc);
    proc.on('exit', () => {
      exitedChild.add(proc);
      live.delete(proc);
    });
    child = proc;
    await waitFor(() => {
      if (exitedChild.has(proc)) throw new Error(`redis-server exited at start; see ${join(dir, 'redis.log')}`);
      return ping(port, tls?.ca);
    }, `redis-server on port ${port}`, 15_000, 25);
  };
  const killChild = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || exitedChild.has(proc)) return;
    process.kill(proc.pid!, signal);
    await waitFor(() => exitedChild.has(proc), `redis-server pid ${proc.pid} to exit`, signal === 'SIGKILL' ? 10_000 : 5_000, 10);
  };

  await start();
  return {
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}/0`,
    port,
    dir,
    get pid() {
      return child!.pid!;
    },
    stop: async () => {
      // A server stuck in a script ignores SIGTERM: it gets SIGKILL rather than outliving the test run.
      await killChild('SIGTERM').catch(() => killChild('SIGKILL'));
      rmSync(dir, { recursive: true, force: true });
    },
    kill9: () => killChild('SIGKILL'),
    restart: async () => {
      await killChild('SIGKILL');
      await start();
    },
  };
}

/** Servers this process started and that still run: killed (by pid) if the test process exits first. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

function findRedisServer(): string {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error(
      'redis-server is not installed, and the Redis tests need a real one (they start, kill and restart it). ' +
        'Install it with `apt-get install redis-server` (or `brew install redis`), or point TQ_TEST_REDIS_URL at a server for the contract tests.',
    );
  }
  return 'redis-server';
}

/** True when a PING on the port answers PONG (a NOAUTH error counts: the server is up). */
function ping(port: number, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = ca ? tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(ca), servername: 'localhost' }) : connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk;
      if (!data.includes('\r\n')) return;
      socket.destroy();
      resolve(data.startsWith('+PONG') || data.startsWith('-NOAUTH'));
    });
    socket.on('error', () => resolve(false));
    socket.write('PING\r\n');
  });
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
