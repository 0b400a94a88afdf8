import type { TaskMessage } from '../../message.js';
import type { InvokeResult } from '../invoke.js';

/** What the worker's main thread tells a thread or child process. */
export type ToExecutor =
  | { type: 'run'; message: TaskMessage; softLimitMs?: number }
  | { type: 'abort'; taskId: string; reason: string };

/** What a thread or child tells the main thread. */
export type FromExecutor =
  | { type: 'ready'; tasks: string[] }
  | { type: 'failed-to-start'; error: string }
  | { type: 'progress'; taskId: string; fraction: number; note?: string }
  | { type: 'result'; taskId: string; result: InvokeResult; rssBytes: number };

/** Passed to a thread (workerData) or child (argv) so it can load the same tasks. */
export interface ExecutorSetup {
  tasksDir: string;
  projectRoot: string;
  hostname: string;
  loglevel: 'debug' | 'info' | 'warn' | 'error';
  color: boolean;
  /** A prefork child's TypeScript, compiled by the main process: the manifest's path (compiled-tasks.ts). */
  compiled?: string;
}
