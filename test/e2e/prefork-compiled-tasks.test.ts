import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/runtime/client.js';
import { TaskFailedError } from '../../src/runtime/errors.js';
import { REPO, startCli, type RunningCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

/**
 * A probe preloaded into every process of the worker (NODE_OPTIONS, which the
 * prefork children inherit): it records, per pid, whether the process is the
 * main one or a child, and every module URL it resolves.
 */
const PROBE = `
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
const out = process.env.PROBE_OUT;
const role = process.argv[1]?.includes('executor-main') ? 'child' : 'main';
appendFileSync(out, process.pid + ' role ' + role + '\\n');
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(\${JSON.stringify(out)}, process.pid + ' url ' + r.url + '\\\\n');
  return r;
}\`));
`;

/** pid → role and the URLs it resolved. */
function probed(file: string): Map<number, { role: string; urls: string[] }> {
  const byPid = new Map<number, { role: string; urls: string[] }>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [pid, kind, value] = line.split(' ', 3) as [string, string, string];
    const entry = byPid.get(Number(pid)) ?? { role: '?', urls: [] };
    // The probe also runs in a process's loader threads, whose argv does not name executor-main: one 'child' line decides.
    if (kind === 'role') entry.role = entry.role === 'child' ? 'child' : value;
    else entry.urls.push(value);
    byPid.set(Number(pid), entry);
  }
  return byPid;
}

/** A project of its own (tq linked into node_modules) with the probe, as an ES module or CommonJS package. */
function makeProject(type: 'module' | 'commonjs'): string {
  const project = mkdtempSync(join(tmpdir(), `tq-prefork-${type}-`));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'shop', private: true, type }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(REPO, join(project, 'node_modules', 'tq'));
  mkdirSync(join(project, 'tasks'));
  writeFileSync(join(project, 'probe.mjs'), PROBE);
  return project;
}

/** `tq worker -P prefork -c 1` in `project`, every process of it probed into probe.log. */
function startProbedWorker(project: string, broker: string): RunningCli {
  return startCli(['worker', '-P', 'prefork', '-c', '1', '--broker', broker, '--no-tui'], {
    cwd: project,
    env: { NODE_OPTIONS: `--import ${pathToFileURL(join(project, 'probe.mjs')).href}`, PROBE_OUT: join(project, 'probe.log') },
  });
}

const loadsTsx = (urls: string[]) => urls.filter((u) => u.includes('/node_modules/tsx/'));

describe('prefork children and TypeScript task files of an ES module project', () => {
  let project: string;
  let worker: RunningCli;
  let client: Client;
  const probeOut = () => join(project, 'probe.log');

  beforeAll(async () => {
    project = makeProject('module');
    mkdirSync(join(project, 'lib'));
    // Module state shared by two task files.
    writeFileSync(join(project, 'lib', 'counter.ts'), 'let n: number = 0;\nexport const next = (): number => ++n;\n');
    // Imported as './format.js', the TypeScript way, though the file is format.ts.
    writeFileSync(join(project, 'tasks', 'format.ts'), 'export enum Tone { Loud = "LOUD" }\nexport const shout = (s: string): string => `${s.toUpperCase()}!`;\n');
    writeFileSync(
      join(project, 'tasks', 'a.ts'),
      [
        "import { task } from 'tq';",
        "import { next } from '../lib/counter.js';",
        "import { shout, Tone } from './format.js';",
        'interface Where { pid: number; url: string; count: number; text: string }',
        'export const where = task((s: string): Where => ({ pid: process.pid, url: import.meta.url, count: next(), text: `${shout(s)} ${Tone.Loud}` }));',
        'export const fails = task((): never => {',
        "  throw new Error('from line 7');",
        '});',
        '',
      ].join('\n'),
    );
    writeFileSync(join(project, 'tasks', 'b.ts'), "import { task } from 'tq';\nimport { next } from '../lib/counter.js';\nexport const bump = task((): number => next());\n");
    const broker = `sqlite://${join(project, 'tq.db')}`;
    worker = startProbedWorker(project, broker);
    await worker.waitForOutput(/ready\./, 30_000);
    client = await createClient({ brokerUrl: broker, cwd: project });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    worker?.signal('SIGKILL');
    await worker?.exited;
    rmSync(project, { recursive: true, force: true });
  });

  it('runs them without tsx, in the child and in the main process, under their own URLs, with one instance of a module they share', async () => {
    const first = (await (await client.sendTask('where', { args: ['hi'] })).get({ timeout: 30_000 })) as { pid: number; url: string; count: number; text: string };
    expect(first.text).toBe('HI! LOUD');
    // tsx adds a ?tsx-namespace= query of its own; the file is what matters.
    expect(first.url.split('?')[0]).toBe(pathToFileURL(join(project, 'tasks', 'a.ts')).href);
    const bumped = await (await client.sendTask('bump')).get({ timeout: 30_000 });

    const processes = await waitFor(() => {
      const p = probed(probeOut());
      return p.has(first.pid) ? p : undefined;
    }, 'the probe to record the process that ran the task');
    const child = processes.get(first.pid)!;
    expect(child.role).toBe('child');
    const main = [...processes.values()].find((p) => p.role === 'main')!;
    // The child resolved the task file itself (so the probe saw its imports), but never tsx; nor did the main process.
    expect(child.urls).toContain(pathToFileURL(join(project, 'tasks', 'a.ts')).href);
    expect(loadsTsx(child.urls)).toEqual([]);
    expect(main.urls).toContain(pathToFileURL(join(project, 'tasks', 'a.ts')).href);
    expect(loadsTsx(main.urls)).toEqual([]);
    // Both task files share one lib/counter.ts, as plain Node (and a JS project) has it; under tsx each
    // task file got its own copy, because every tsImport is a namespace of its own.
    expect(bumped).toBe(first.count + 1);
  });

  it('reports a task error at its TypeScript line', async () => {
    const failed = await client.sendTask('fails');
    const error = (await failed.get({ timeout: 30_000 }).catch((err: unknown) => err)) as TaskFailedError;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.remote.stack).toMatch(/tasks\/a\.ts(\?[^:]*)?:7:/);
  });
});

describe('prefork children and TypeScript task files of a CommonJS project', () => {
  it('still load them through tsx, as CommonJS, with require (and the probe sees tsx where it is loaded)', async () => {
    const project = makeProject('commonjs');
    const broker = `sqlite://${join(project, 'tq.db')}`;
    writeFileSync(join(project, 'tasks', 'cjs.ts'), "import { task } from 'tq';\nexport const cjs = task(() => ({ pid: process.pid, require: typeof require }));\n");
    const worker = startProbedWorker(project, broker);
    const client = await createClient({ brokerUrl: broker, cwd: project });
    try {
      await worker.waitForOutput(/ready\./, 30_000);
      const ran = (await (await client.sendTask('cjs')).get({ timeout: 30_000 })) as { pid: number; require: string };
      expect(ran.require).toBe('function');
      const child = await waitFor(() => probed(join(project, 'probe.log')).get(ran.pid), 'the probe to record the child that ran the task');
      expect(child.role).toBe('child');
      expect(loadsTsx(child.urls).length).toBeGreaterThan(0);
    } finally {
      await client.close();
      worker.signal('SIGKILL');
      await worker.exited;
      rmSync(project, { recursive: true, force: true });
    }
  }, 60_000);
});
