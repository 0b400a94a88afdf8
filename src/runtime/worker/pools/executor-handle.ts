import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { ExecutorSetup, FromExecutor, ToExecutor } from './protocol.js';

const ENTRY = new URL('./executor-main.js', import.meta.url);

/** One thread or child process, seen from the main thread: send, listen, end. */
export interface ExecutorHandle {
  readonly pid: number;
  send(message: ToExecutor): void;
  onMessage(listener: (message: FromExecutor) => void): void;
  /** Called once, whenever the executor ends (crash, kill, exit). */
  onExit(listener: (reason: string) => void): void;
  kill(): void;
}

/** Where an executor's own output lines go: through the worker's log sink, so a live dashboard is never torn. */
export type OutputSink = (line: string, stream: 'stdout' | 'stderr') => void;

export function spawnExecutor(kind: 'threads' | 'prefork', setup: ExecutorSetup, output: OutputSink): ExecutorHandle {
  return kind === 'threads' ? spawnThread(setup, output) : spawnChild(setup, output);
}

function forward(stream: Readable | null | undefined, name: 'stdout' | 'stderr', output: OutputSink): void {
  if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => output(line, name));
}

function spawnThread(setup: ExecutorSetup, output: OutputSink): ExecutorHandle {
  const thread = new Thread(ENTRY, { workerData: setup, stdout: true, stderr: true });
  forward(thread.stdout, 'stdout', output);
  forward(thread.stderr, 'stderr', output);
  return {
    pid: process.pid,
    send: (m) => thread.postMessage(m),
    onMessage: (l) => thread.on('message', l),
    onExit: (l) => {
      let done = false;
      const once = (reason: string) => (done ? undefined : ((done = true), l(reason)));
      thread.on('error', (err) => once(`thread crashed: ${err.message}`));
      thread.on('exit', (code) => once(`thread exited with code ${code}`));
    },
    kill: () => void thread.terminate(),
  };
}

function spawnChild(setup: ExecutorSetup, output: OutputSink): ExecutorHandle {
  const child: ChildProcess = fork(fileURLToPath(ENTRY), [JSON.stringify(setup)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  forward(child.stdout, 'stdout', output);
  forward(child.stderr, 'stderr', output);
  return {
    pid: child.pid ?? -1,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (l) => child.on('message', (m) => l(m as FromExecutor)),
    onExit: (l) => child.on('exit', (code, signal) => l(signal ? `child process ${child.pid} was killed by ${signal}` : `child process ${child.pid} exited with code ${code}`)),
    kill: () => void child.kill('SIGKILL'),
  };
}
