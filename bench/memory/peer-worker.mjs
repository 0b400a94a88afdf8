/**
 * A BullMQ or bee-queue worker for bench/memory.ts, run by plain `node` (no
 * tsx): `node peer-worker.mjs LIB REDIS_URL CONCURRENCY QUEUE`. It runs the
 * same handler.mjs as tq's task file and prints PEER READY once it is taking jobs.
 */
import { probe } from './handler.mjs';

const [lib, url, concurrency, queueName] = process.argv.slice(2);
const { hostname: host, port } = new URL(url);
const connection = { host, port: Number(port) };
if (lib === 'bullmq') {
  const { Worker } = await import('bullmq');
  const worker = new Worker(queueName, async (job) => probe(job.data.n), { connection, concurrency: Number(concurrency) });
  await worker.waitUntilReady();
} else {
  const { default: BeeQueue } = await import('bee-queue');
  const queue = new BeeQueue(queueName, { redis: connection, getEvents: false });
  queue.process(Number(concurrency), async (job) => probe(job.data.n));
  await queue.ready();
}
process.stdout.write('PEER READY\n');
