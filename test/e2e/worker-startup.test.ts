import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { sqliteSetup, useDeployments } from '../support/project.js';

const TASKS = 'test/fixtures/beat-e2e/tasks';
const MODULE_LOG_HOOK = fileURLToPath(new URL('../fixtures/module-log.mjs', import.meta.url));
/** Only the live dashboard needs these; yoga-layout alone reserves a WASM heap. */
const DASHBOARD_ONLY = /\/node_modules\/(ink|react|react-reconciler|yoga-layout|es-toolkit)\//;
/** Only the embedded scheduler (-B) needs these. */
const BEAT_ONLY = /\/node_modules\/(cron-parser|luxon)\//;

/**
 * A headless worker (stdout not a terminal, as under systemd, Docker or a
 * benchmark) should not carry the dashboard's or the scheduler's modules: they
 * cost tens of MiB of resident memory for nothing.
 */
describe('what a worker loads at start-up', () => {
  const deploy = useDeployments(sqliteSetup());

  async function modulesLoadedBy(args: string[]): Promise<string[]> {
    const d = deploy();
    const log = d.file('modules.log');
    await d.worker(TASKS, ['-P', 'async', ...args], { NODE_OPTIONS: `--import ${JSON.stringify(MODULE_LOG_HOOK)}`, TQ_TEST_MODULE_LOG: log });
    const modules = readFileSync(log, 'utf8').split('\n');
    // Proves the log is live, so the absences below mean something.
    expect(modules.some((url) => url.endsWith('/dist/runtime/worker/worker.js'))).toBe(true);
    return modules;
  }

  it('loads neither the dashboard nor the scheduler when it runs headless without -B', async () => {
    const modules = await modulesLoadedBy([]);
    expect([...packages(modules, DASHBOARD_ONLY), ...packages(modules, BEAT_ONLY)]).toEqual([]);
  });

  it('loads the scheduler with -B, and still not the dashboard', async () => {
    const modules = await modulesLoadedBy(['-B']);
    expect(packages(modules, BEAT_ONLY)).toContain('cron-parser');
    expect(packages(modules, DASHBOARD_ONLY)).toEqual([]);
  });
});

describe('a worker that cannot start', () => {
  const deploy = useDeployments(sqliteSetup());

  it.each(['prefork', 'async'])('exits 2 at once, with the entry named and nothing taken, on an invalid -B schedule (%s pool)', async (pool) => {
    const d = deploy();
    const config = d.file('tq.config.json');
    writeFileSync(config, JSON.stringify({ beat: { nightly: { task: 'record', cron: '0 3 * *' } } }));
    const client = await d.client();
    const waiting = await client.sendTask('record', { args: [d.file('ran.txt'), 'x'] });
    // A prefork pool's children kept the process alive: it printed the error, never became ready and ignored SIGTERM.
    const r = await runCli(['worker', '-B', '-P', pool, '-c', '1', '--config', config, '--tasks', TASKS, '--broker', d.brokerUrl], { timeoutMs: 20_000 });
    expect(r.stderr).toMatch(/beat entry 'nightly' has an invalid cron/);
    expect(r.stdout + r.stderr).not.toMatch(/ready\./);
    expect(r.code).toBe(2);
    expect(await waiting.state()).toBe('PENDING');
  });
});

/** The distinct package names among `modules` that `pattern` captures. */
function packages(modules: string[], pattern: RegExp): string[] {
  return [...new Set(modules.map((url) => pattern.exec(url)?.[1]).filter((name) => name !== undefined))].sort();
}
