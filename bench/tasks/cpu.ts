import { task } from 'tq';

/** 10 ms of CPU without yielding: shows what each pool does with CPU-bound work. */
export const cpu10 = task(() => {
  const until = performance.now() + 10;
  let n = 0;
  while (performance.now() < until) n++;
  return n > 0;
});
