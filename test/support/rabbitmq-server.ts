import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface RabbitServerOptions {
  /** rabbitmq.conf lines, e.g. { consumer_timeout: '5000' }. */
  config?: Record<string, string>;
}

export interface RabbitServer {
  url: string;
  port: number;
  /** The running node's OS pid (the Erlang VM; changes on restart). */
  readonly pid: number;
  dir: string;
  /** Stops the node and removes its directory. */
  stop(): Promise<void>;
  /** SIGKILL the VM, as a crash. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
}

/**
 * Starts a private RabbitMQ node for fault tests: its own node name, AMQP and
 * distribution ports, data, log and cookie (HOME) directories, no plugins, so
 * it can be killed and restarted by pid without touching the machine's
 * RabbitMQ service. Boot takes a few seconds. Never skips: a missing server
 * is an error that says what to install.
 */
export async function startRabbitServer(options: RabbitServerOptions = {}): Promise<RabbitServer> {
  if (!existsSync(SERVER)) {
    throw new Error('rabbitmq-server is not installed, and the RabbitMQ fault tests need a real one they can kill. Install it with `apt-get install rabbitmq-server`.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'tq-rabbit-'));
  const port = await freePort();
  const distPort = await freePort();
  const node = `tqtest${port}@localhost`;
  for (const sub of ['mnesia', 'log', 'home']) mkdirSync(join(dir, sub), { recursive: true });
  const conf = { 'listeners.tcp.default': String(port), 'loopback_users.guest': 'true', 'log.console': 'false', ...options.config };
  writeFileSync(join(dir, 'rabbitmq.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    ...process.env,
    HOME: join(dir, 'home'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  let script: ChildProcess | undefined;
  let vmPid = 0;
  const exited = new WeakSet<ChildProcess>();

  const start = async () => {
    rmSync(env.RABBITMQ_PID_FILE, { force: true });
    const proc = spawn(SERVER, [], { env, stdio: 'ignore', cwd: dir });
    live.add(proc);
    proc.on('exit', () => {
      exited.add(proc);
      live.delete(proc);
    });
    script = proc;
    vmPid = await waitFor(() => {
      if (exited.has(proc)) throw new Error(`rabbitmq-server exited at start; see ${join(dir, 'log')}`);
      const text = existsSync(env.RABBITMQ_PID_FILE) ? readFileSync(env.RABBITMQ_PID_FILE, 'utf8').trim() : '';
      return /^\d+$/.test(text) ? Number(text) : 0;
    }, `the pid file of RabbitMQ node ${node}`, 60_000, 50);
    livePids.add(vmPid);
    await waitFor(() => amqpAnswers(port), `RabbitMQ node ${node} on port ${port}`, 60_000, 100);
  };
  const killVm = async (signal: NodeJS.Signals) => {
    const pid = vmPid;
    if (!pid || !alive(pid)) return;
    process.kill(pid, signal);
    await waitFor(() => !alive(pid), `RabbitMQ VM pid ${pid} to exit`, 30_000, 20);
    livePids.delete(pid);
    if (script && !exited.has(script)) script.kill('SIGKILL');
  };

  await start();
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}/`,
    port,
    dir,
    get pid() {
      return vmPid;
    },
    stop: async () => {
      await killVm('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill9: () => killVm('SIGKILL'),
    restart: async () => {
      await killVm('SIGKILL');
      await start();
    },
  };
}

/** Scripts and VMs this process started that still run: killed (by pid) if the test process exits first. */
const live = new Set<ChildProcess>();
const livePids = new Set<number>();
process.on('exit', () => {
  for (const pid of livePids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const proc of live) proc.kill('SIGKILL');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True once the port answers an AMQP protocol header with a connection.start frame. */
function amqpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.on('data', (chunk) => {
      socket.destroy();
      resolve(chunk[0] === 1); // a METHOD frame: the server took the header
    });
    socket.on('error', () => resolve(false));
    socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
  });
}

/** Runs rabbitmqctl against the machine's RabbitMQ service (vhosts for contract tests). */
export function rabbitmqctl(args: string[]): string {
  const run = spawnSync('rabbitmqctl', args, { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new Error(`rabbitmqctl ${args.join(' ')} failed (${run.error?.message ?? run.stderr.trim()}). The RabbitMQ tests need the machine's RabbitMQ on 127.0.0.1:5672: install and start it (apt-get install rabbitmq-server; rabbitmq-server -detached).`);
  }
  return run.stdout;
}
