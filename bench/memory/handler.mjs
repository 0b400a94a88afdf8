/**
 * The one task body of the memory bench (bench/memory.ts), plain JS, imported
 * as it is by tq's task file and by the BullMQ and bee-queue workers, so the
 * three processes load the same code the same way. Once TQ_BENCH_N calls have
 * run it prints one line the bench waits for; the bench reads RSS from /proc.
 */
let count = 0;
export function probe(n) {
  if (++count === Number(process.env.TQ_BENCH_N)) process.stdout.write(`MEMBENCH DRAINED ${count}\n`);
  return n ?? null;
}
