import { task } from 'tq';

/** Small tasks for trying the CLI: `tq call add 2 3 --wait`. */
export const add = task((x: number, y: number) => x + y);

export const fail = task((message: string = 'boom') => {
  throw new Error(message);
});
