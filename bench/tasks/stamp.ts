import { task } from 'tq';

/** Returns the moment the handler started, so the bench can measure enqueue → start latency. */
export const stamp = task(() => Date.now());
