import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCopy, installTarball, pack } from '../../scripts/packed-install.mjs';
import { REPO } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const MODULE_LOG_HOOK = fileURLToPath(new URL('../fixtures/module-log.mjs', import.meta.url));
const MATH = "import { task } from 'tq';\n\nexport const add = task((x: number, y: number) => x + y);\n";

/**
 * tq as a user gets it: `npm pack` of a fresh clone (no dist/, no manifest:
 * prepack must build them), the tarball installed into a project of its own,
 * and the installed `tq` run there as real processes on the default SQLite broker.
 */
describe('the package npm packs, installed into a project', () => {
  let base: string;
  let files: string[];
  let app: string;
  let tq: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'tq-pack-'));
    freshCopy(REPO, join(base, 'clone'));
    const packed = pack(join(base, 'clone'), base);
    files = packed.files;
    app = join(base, 'app');
    tq = realpathSync(installTarball(app, packed.tarball, REPO, { 'math.ts': MATH }));
  }, 300_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  function run(args: string[], env: NodeJS.ProcessEnv = {}) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [tq, ...args], { cwd: app, env: cleanEnv(env) });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('builds dist/ and the command manifest at pack time, and ships them with the Lua scripts and bin/', () => {
    const expected = [
      'bin/run.js',
      'package.json',
      'oclif.manifest.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/hooks/command-not-found.js',
      ...readdirSync(join(REPO, 'src/commands')).map((f) => `dist/commands/${f.replace(/\.ts$/, '.js')}`),
      ...luaScripts(join(REPO, 'src')).map((f) => `dist/${f}`),
    ];
    expect(expected.filter((f) => !files.includes(f))).toEqual([]);
    expect(files.filter((f) => /^(src|test|bench|tasks|examples|scripts|\.ci|node_modules)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it('runs `tq worker` and `tq call --wait` from the installed package, on the project\'s own .tq/tq.db', async () => {
    const worker = spawn(process.execPath, [tq, 'worker', '-P', 'solo'], { cwd: app, env: cleanEnv() });
    children.push(worker);
    let output = '';
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    await waitFor(() => output.includes('ready.') || worker.exitCode !== null, 'the installed worker to be ready', 30_000);
    expect(output).toContain('ready.');
    expect(output).toMatch(/\. add/);

    const call = await run(['call', 'add', '2', '3', '--wait', '--timeout', '30']);
    expect(call.stderr).toBe('');
    expect(call).toMatchObject({ code: 0, stdout: '5\n' });
    expect(existsSync(join(app, '.tq/tq.db'))).toBe(true);
  });

  it('starts from the packed manifest: `tq status` loads its own command module and no other, and warns of nothing', async () => {
    const log = join(base, 'modules.log');
    // NODE_ENV=development once made oclif hunt for TypeScript sources, warning on every command of an installed tq.
    const env = { NODE_ENV: 'development', NODE_OPTIONS: `--import ${JSON.stringify(MODULE_LOG_HOOK)}`, TQ_TEST_MODULE_LOG: log };
    const status = await run(['status'], env);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    const commands = readFileSync(log, 'utf8').split('\n').filter((url) => url.includes('/node_modules/tq/dist/commands/'));
    // Without the manifest oclif imports every command (ink and React for `top`) to learn its flags.
    expect(commands.map((url) => url.slice(url.lastIndexOf('/') + 1))).toEqual(['status.js']);
  });

  it('answers `tq help`, `tq help call` and a mistyped command from the installed package', async () => {
    const help = await run(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/COMMANDS[\s\S]*\bworker\b/);
    const callHelp = await run(['help', 'call']);
    expect(callHelp.code).toBe(0);
    expect(callHelp.stdout).toContain('--wait');
    const typo = await run(['wroker']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean 'worker'?");
  });
});

function luaScripts(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return luaScripts(root, path);
    return entry.name.endsWith('.lua') ? [relative(root, path)] : [];
  });
}

/** The test's environment without any TQ_* setting a developer happened to export. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TQ_')));
  return { ...env, NO_COLOR: '1', ...extra };
}
