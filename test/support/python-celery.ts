import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

/** The folder holding celeryapp.py: the cwd of every Python process started here. */
export const CELERY_APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/celery');
const PYTHON = '/usr/bin/python3';
const INSTALL_HINT = 'install python3-celery python3-redis (apt): apt-get install python3-celery python3-redis python3-amqp';

let checked: string | undefined;

/**
 * The Python that has Celery (Debian's python3-celery 5.2.6). Never skips: a
 * machine without it fails the test with what to install.
 */
export function celeryPython(): string {
  if (checked) return checked;
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found; the Celery interop tests need a real Python Celery: ${INSTALL_HINT}`);
  const probe = spawnSync(PYTHON, ['-c', 'import celery, kombu, redis, amqp; print(celery.__version__)'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`Python Celery is not importable by ${PYTHON} (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}): ${INSTALL_HINT}`);
  }
  checked = PYTHON;
  return checked;
}

export interface CeleryEnvOptions {
  /** CELERY_BROKER_URL: redis://host:port/db or amqp://user:pass@host:port/vhost. */
  broker: string;
  /** CELERY_RESULT_BACKEND (e.g. redis://…/1); none by default. */
  backend?: string;
  /** Redis visibility_timeout in seconds (TQ_TEST_VT). */
  visibilityTimeout?: number;
  /** kombu global_keyprefix (TQ_TEST_KEYPREFIX). */
  keyPrefix?: string;
  /** Redis for flaky()'s counter when neither broker nor backend is Redis. */
  counterUrl?: string;
  /** More environment for the Python process. */
  env?: Record<string, string>;
}

function celeryEnv(options: CeleryEnvOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    CELERY_BROKER_URL: options.broker,
    CELERY_RESULT_BACKEND: options.backend ?? '',
    ...(options.visibilityTimeout !== undefined ? { TQ_TEST_VT: String(options.visibilityTimeout) } : {}),
    ...(options.keyPrefix ? { TQ_TEST_KEYPREFIX: options.keyPrefix } : {}),
    ...(options.counterUrl ? { TQ_TEST_COUNTER_URL: options.counterUrl } : {}),
    ...options.env,
  };
}

export interface CeleryWorkerOptions extends CeleryEnvOptions {
  /** Pool: solo (default) or prefork. */
  pool?: 'solo' | 'prefork';
  /** -c for prefork (default 2). */
  concurrency?: number;
  /** Node name (-n), e.g. 'py1@test'; default py<random>@test. */
  hostname?: string;
  /** Queues to consume (-Q); default Celery's 'celery'. */
  queues?: string[];
  /** Send task events (-E). Default true. */
  events?: boolean;
  /** Mingle and gossip at start (slower start). Default false. */
  mingle?: boolean;
  gossip?: boolean;
  /** Worker heartbeats (worker-* events). Default true. */
  heartbeat?: boolean;
  /** More command-line arguments. */
  args?: string[];
  /** How long to wait for readiness (ms); default 60 s (Python starts slowly on a loaded machine). */
  readyTimeoutMs?: number;
}

export interface CeleryWorker {
  hostname: string;
  readonly pid: number;
  /** What the worker wrote so far (stdout and stderr, -l info). */
  log(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM (warm shutdown), then SIGKILL to the process group if it has not exited in time. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL the worker and its pool children (its process group), as a crash. */
  kill9(): Promise<void>;
}

/** Workers still running when the test process exits are killed by process group. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of live) {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/**
 * Starts `python3 -m celery -A celeryapp worker` and resolves once it is ready
 * (its worker_ready signal writes a file that is polled). The worker leads its
 * own process group, so a SIGKILL also ends its prefork children.
 */
export async function startCeleryWorker(options: CeleryWorkerOptions): Promise<CeleryWorker> {
  const python = celeryPython();
  const dir = mkdtempSync(join(tmpdir(), 'tq-celery-worker-'));
  const readyFile = join(dir, 'ready');
  const logFile = join(dir, 'worker.log');
  const hostname = options.hostname ?? `py${Math.random().toString(36).slice(2, 8)}@test`;
  const pool = options.pool ?? 'solo';
  const args = [
    '-m', 'celery', '-A', 'celeryapp', 'worker',
    '-l', 'info', '-n', hostname, '-P', pool,
    ...(pool === 'prefork' ? ['-c', String(options.concurrency ?? 2)] : []),
    ...(options.queues?.length ? ['-Q', options.queues.join(',')] : []),
    ...(options.events === false ? [] : ['-E']),
    ...(options.mingle ? [] : ['--without-mingle']),
    ...(options.gossip ? [] : ['--without-gossip']),
    ...(options.heartbeat === false ? ['--without-heartbeat'] : []),
    ...(options.args ?? []),
  ];
  const out = openSync(logFile, 'a');
  const proc = spawn(python, args, {
    cwd: CELERY_APP_DIR,
    env: { ...celeryEnv(options), TQ_TEST_READY_FILE: readyFile },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  live.add(proc);
  let gone = false;
  proc.on('exit', () => {
    gone = true;
    live.delete(proc);
  });
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  const kill9 = async () => {
    signalGroup('SIGKILL');
    await waitFor(() => gone, `celery worker ${hostname} (pid ${proc.pid}) to die`, 10_000, 10);
  };
  try {
    await waitFor(() => {
      if (gone) throw new Error(`celery worker ${hostname} exited at start:\n${log().slice(-3000)}`);
      return existsSync(readyFile);
    }, `celery worker ${hostname} to be ready`, options.readyTimeoutMs ?? 60_000, 50);
  } catch (err) {
    await kill9();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    hostname,
    get pid() {
      return proc.pid!;
    },
    log,
    exited: () => gone,
    stop: async (graceMs = 15_000) => {
      if (!gone) {
        try {
          process.kill(proc.pid!, 'SIGTERM');
        } catch {
          /* already gone */
        }
        await waitFor(() => gone, 'warm shutdown', graceMs, 20).catch(() => kill9());
      }
      signalGroup('SIGKILL'); // pool children that outlived their parent
      rmSync(dir, { recursive: true, force: true });
    },
    kill9,
  };
}

export interface PythonRun {
  stdout: string;
  stderr: string;
  /** Exit code (null when killed by the timeout). */
  code: number | null;
}

export interface PythonRunOptions extends CeleryEnvOptions {
  /** Kill the process after this long (ms); default 60 s. */
  timeoutMs?: number;
  /** Written to the process's stdin. */
  input?: string;
}

/** Runs `python3 <args>` in the app folder with the Celery environment; never rejects on a non-zero exit. */
export function runPython(args: string[], options: PythonRunOptions): Promise<PythonRun> {
  const python = celeryPython();
  return new Promise((done, fail) => {
    const proc = spawn(python, args, { cwd: CELERY_APP_DIR, env: celeryEnv(options), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    proc.on('error', (err) => (clearTimeout(timer), fail(err)));
    proc.on('close', (code) => {
      clearTimeout(timer);
      done({ stdout, stderr, code });
    });
    proc.stdin.end(options.input ?? '');
  });
}

/** Runs a Python snippet (`python3 -c`), with `import celeryapp` available. */
export function runPythonSnippet(code: string, options: PythonRunOptions): Promise<PythonRun> {
  return runPython(['-c', code], options);
}

/** Runs the Celery CLI against the test app: `celery(['inspect', 'ping', '--json'], …)`. */
export function celery(args: string[], options: PythonRunOptions): Promise<PythonRun> {
  return runPython(['-m', 'celery', '-A', 'celeryapp', ...args], options);
}
