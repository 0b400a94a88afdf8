/**
 * The public library API: what task files and applications import from 'tq'.
 * Nothing here pulls in oclif, ink or react.
 */
export { task, isTask, type Task, type TaskOptions, type ApplyOptions, type TaskFn } from './runtime/task.js';
export { currentTask, type TaskContext } from './runtime/context.js';
export {
  createClient,
  clientFor,
  getDefaultClient,
  closeDefaultClient,
  buildEnvelope,
  Client,
  DuplicateTaskIdError,
  type ClientOptions,
  type SendOptions,
} from './runtime/client.js';
export { AsyncResult, type GetOptions } from './runtime/result.js';
export { signature, chain, group, chord, map, starmap, chunks, Signature, Chain, Group, Chord, type Canvas, type SignatureOptions } from './runtime/canvas/primitives.js';
export { GroupResult } from './runtime/canvas/group-result.js';
export { resolveConfig, maskUrl, type TqConfig, type TqConfigInput, type BeatEntrySpec, type ScheduleSpec } from './runtime/config.js';
export { TqError, TaskFailedError, type TqErrorCode, type SerializedError } from './runtime/errors.js';
export type { TaskState, ResultRecord } from './runtime/states.js';
export type { TaskMessage } from './runtime/message.js';
export type { Broker } from './runtime/brokers/broker.js';
export type { Backend } from './runtime/brokers/backend.js';
export type { Stores } from './runtime/brokers/index.js';
export { subscribeEvents, type FollowOptions } from './runtime/events.js';
export { broadcast } from './runtime/broadcast.js';
export { revokeTasks } from './runtime/revoke.js';
export type { TqEvent, StoredEvent, WorkerHeartbeat } from './runtime/cluster.js';

import { getDefaultClient } from './runtime/client.js';
import type { SendOptions } from './runtime/client.js';
import type { AsyncResult } from './runtime/result.js';

/** Sends a task by name, without importing its module (Celery's send_task). */
export async function sendTask<R = unknown>(name: string, args: unknown[] = [], options: Omit<SendOptions, 'args'> = {}): Promise<AsyncResult<R>> {
  const client = await getDefaultClient();
  return client.sendTask<R>(name, { ...options, args });
}
