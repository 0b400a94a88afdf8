import { Redis } from 'ioredis';
import { task } from 'tq';

let redis: Redis | undefined;

/**
 * Writes the moment it runs (unix seconds) to `bench:<name>` on BENCH_MARK_REDIS:
 * the Celery drain bench brackets its 20,000 messages with a start and an end
 * mark, the same task on the Python side (bench/celery/drainapp.py), so both
 * rates exclude worker start-up and publishing.
 */
export const bench_mark = task(async (name: string) => {
  redis ??= new Redis(process.env.BENCH_MARK_REDIS!);
  await redis.set(`bench:${name}`, String(Date.now() / 1000));
  return name;
});
