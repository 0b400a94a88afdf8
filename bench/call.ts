import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTarball, pack } from '../scripts/packed-install.mjs';
import { median, printTable, type Row } from './support.js';

const RUNS = Number(process.env.TQ_BENCH_CALL_RUNS ?? 10);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const MATH = "import { task } from 'tq';\n\nexport const add = task((x: number, y: number) => x + y);\n";

/** The first `.delay()` of a fresh process on the default SQLite broker, its import timed apart. */
const FIRST_DELAY = `
const t0 = performance.now();
const { task, closeDefaultClient } = await import('tq');
const t1 = performance.now();
const add = task((x, y) => x + y, { name: 'add' });
await add.delay(2, 3);
const t2 = performance.now();
await closeDefaultClient();
console.log(JSON.stringify({ importMs: t1 - t0, firstDelayMs: t2 - t1 }));
`;

interface Variant {
  label: string;
  /** `tq call add 2 3` as a user's shell runs it: the executable and the project it is run in (default broker: its .tq/tq.db). */
  fromClone: { bin: string; cwd: string };
  installed: { bin: string; cwd: string };
}

/**
 * `npm run bench -- call`: the wall time of one `tq call add 2 3` process on
 * the default embedded SQLite broker, run by this clone's bin/run.js and by
 * the `tq` of a project that installed the npm pack tarball, next to
 * `node -e 0` (the floor); and the first `.delay()` of a fresh process.
 * Every row is a median of RUNS, all rows alternating run by run, so a change
 * in the machine's load touches them alike; the load average is printed too.
 * TQ_BENCH_CALL_BASELINE=DIR adds the same rows for another built checkout
 * (e.g. the commit before a change), for a before/after in one run.
 */
export async function benchCall(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'tq-bench-call-'));
  try {
    const baseline = process.env.TQ_BENCH_CALL_BASELINE;
    const variants = [variant('this checkout', REPO, join(base, 'this'))];
    if (baseline) variants.push(variant(`baseline ${baseline}`, resolve(baseline), join(base, 'baseline')));
    const load = loadavg()[0]!.toFixed(1);
    const jobs: { label: string; argv: string[]; cwd: string; walls: number[]; parse?: (out: string) => void }[] = [];
    jobs.push({ label: '`node -e 0`', argv: ['-e', '0'], cwd: base, walls: [] });
    const delays = new Map<string, { importMs: number[]; firstDelayMs: number[] }>();
    for (const v of variants) {
      jobs.push({ label: `\`tq call\`, clone: ${v.label}`, argv: [v.fromClone.bin, 'call', 'add', '2', '3'], cwd: v.fromClone.cwd, walls: [] });
      jobs.push({ label: `\`tq call\`, installed: ${v.label}`, argv: [v.installed.bin, 'call', 'add', '2', '3'], cwd: v.installed.cwd, walls: [] });
      const d = { importMs: [] as number[], firstDelayMs: [] as number[] };
      delays.set(v.label, d);
      jobs.push({
        label: `first .delay(): ${v.label}`, argv: ['--input-type=module', '-e', FIRST_DELAY], cwd: v.fromClone.cwd, walls: [],
        parse: (out) => {
          const r = JSON.parse(out) as { importMs: number; firstDelayMs: number };
          d.importMs.push(r.importMs);
          d.firstDelayMs.push(r.firstDelayMs);
        },
      });
    }
    // One unmeasured round first: the first call of a project loads its task files to learn their names (then cached).
    for (let i = -1; i < RUNS; i++) {
      for (const job of jobs) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, job.argv, { cwd: job.cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
        const wall = performance.now() - t0;
        if (r.status !== 0) throw new Error(`${job.label} failed (exit ${r.status}): ${r.stderr}`);
        if (i < 0) continue;
        job.walls.push(wall);
        job.parse?.(r.stdout);
      }
    }
    const ms = (values: number[]) => `${median(values).toFixed(1)} ms`;
    const rows: Row[] = jobs.filter((j) => !j.parse).map((j) => ({ metric: `${j.label} wall`, value: `${Math.round(median(j.walls))} ms`, note: `median of ${RUNS}` }));
    for (const [label, d] of delays) {
      rows.push({ metric: `first .delay() on SQLite: ${label}`, value: ms(d.firstDelayMs), note: `median of ${RUNS}, fresh process, after importing 'tq' (import: ${ms(d.importMs)})` });
    }
    rows.push({ metric: 'load average (1 min)', value: `${load} → ${loadavg()[0]!.toFixed(1)}`, note: 'at the start and the end of the runs' });
    printTable('`tq call` start-up (default SQLite broker)', rows);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** Projects for one checkout: one whose `tq` is the checkout itself (linked), one that installed its packed tarball. */
function variant(label: string, checkout: string, dir: string): Variant {
  const linked = join(dir, 'linked');
  mkdirSync(join(linked, 'tasks'), { recursive: true });
  mkdirSync(join(linked, 'node_modules'), { recursive: true });
  writeFileSync(join(linked, 'package.json'), JSON.stringify({ name: 'tq-bench-linked', private: true, type: 'module' }));
  writeFileSync(join(linked, 'tasks', 'math.ts'), MATH);
  symlinkSync(checkout, join(linked, 'node_modules', 'tq'), 'dir');
  // The checkout's dist/ is already built (`npm run bench` builds it), so packing need not build again.
  const { tarball } = pack(checkout, dir, { ignoreScripts: true });
  const app = join(dir, 'installed');
  const installed = realpathSync(installTarball(app, tarball, checkout, { 'math.ts': MATH }));
  return { label, fromClone: { bin: join(checkout, 'bin', 'run.js'), cwd: linked }, installed: { bin: installed, cwd: app } };
}
