import { task } from 'tq';

export const noop = task((n?: number) => n ?? null);
