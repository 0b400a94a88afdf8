import { fork, type ChildProcess } from 'node:child_process';
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

export function spawnExecutor(kind: 'threads' | 'prefork', setup: ExecutorSetup): ExecutorHandle {
  return kind === 'threads' ? spawnThread(setup) : spawnChild(setup);
}

function spawnThread(setup: ExecutorSetup): ExecutorHandle {
  const thread = new Thread(ENTRY, { workerData: setup });
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

function spawnChild(setup: ExecutorSetup): ExecutorHandle {
  const child: ChildProcess = fork(fileURLToPath(ENTRY), [JSON.stringify(setup)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
