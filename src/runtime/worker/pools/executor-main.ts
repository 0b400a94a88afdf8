/**
 * The entry point of a `threads` or `prefork` executor: a worker thread or a
 * child process that loads the task files itself and runs one task at a time
 * for the worker's main thread, which keeps the broker and the leases. A task
 * that spins the CPU here blocks only this executor, never lease renewal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { discoverTasks } from '../../discovery.js';
import { loadPrecompiled } from './precompiled.js';
import { createLogger } from '../../log.js';
import { Cancellation } from '../cancellation.js';
import { invokeTask } from '../invoke.js';
import { softLimitError, softLimitWarning } from './pool.js';
import type { TaskMessage } from '../../message.js';
import type { ExecutorSetup, FromExecutor, ToExecutor } from './protocol.js';

const setup: ExecutorSetup = parentPort ? (workerData as ExecutorSetup) : (JSON.parse(process.argv[2]!) as ExecutorSetup);
const send = (message: FromExecutor) => (parentPort ? parentPort.postMessage(message) : process.send!(message));
// JSON lines: the worker's logger reads them back and writes them as it writes its own (text or --json, colours, neutralised).
const log = createLogger({ level: setup.loglevel, name: 'worker', json: true });
const running = new Map<string, Cancellation>();

async function main(): Promise<void> {
  let registry;
  try {
    // TypeScript the main process compiled: served by loader hooks, so this child never loads tsx.
    if (setup.compiled) loadPrecompiled(setup.compiled);
    registry = await discoverTasks(setup);
  } catch (err) {
    send({ type: 'failed-to-start', error: (err as Error).message });
    return;
  }
  const onMessage = async (msg: ToExecutor) => {
    if (msg.type === 'abort') {
      running.get(msg.taskId)?.abort(new Error(msg.reason));
      return;
    }
    const { message } = msg;
    const cancel = new Cancellation();
    running.set(message.id, cancel);
    const timer = msg.softLimitMs ? setTimeout(() => softLimitPassed(message, cancel, msg.softLimitMs! / 1000), msg.softLimitMs) : undefined;
    const entry = registry.get(message.task);
    const result = entry
      ? await invokeTask(entry.task, message, {
          worker: setup.hostname,
          cancel,
          log,
          onProgress: (fraction, note) => send({ type: 'progress', taskId: message.id, fraction, note }),
        })
      : { ok: false as const, error: { name: 'NotRegistered', message: `task '${message.task}' is not registered in this executor` } };
    clearTimeout(timer);
    running.delete(message.id);
    send({ type: 'result', taskId: message.id, result, rssBytes: process.memoryUsage().rss });
  };
  if (parentPort) parentPort.on('message', onMessage);
  else process.on('message', (m) => void onMessage(m as ToExecutor));
  // A child whose parent died must not linger as an orphan.
  if (!parentPort) process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', tasks: registry.names() });
}

function softLimitPassed(message: TaskMessage, cancel: Cancellation, seconds: number): void {
  log.warn(softLimitWarning(message, seconds)); // reaches the worker's log through this executor's output
  cancel.abort(softLimitError(seconds));
}

void main();
