import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, runCli, startCli, type RunningCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

interface ExportedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parent?: string;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  pid: number;
}

const SETUP = pathToFileURL(join(REPO, 'test/fixtures/otel/setup.mjs')).href;
const [PRODUCER, CONSUMER] = [3, 4]; // OTel SpanKind values

/**
 * Tracing across processes as a user sets it up: `tq call` and `tq worker`
 * each started with `node --import` of an SDK setup (test/fixtures/otel),
 * spans of both written to one file. The worker's run is in the call's trace.
 */
describe('OpenTelemetry across `tq call` and `tq worker`', () => {
  const workers: RunningCli[] = [];
  let dir = '';
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.signal('SIGKILL');
      await w.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the task in the trace `tq call` started, as the send span\'s child', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tq-e2e-otel-'));
    const spansFile = join(dir, 'spans.jsonl');
    const env = { NODE_OPTIONS: `--import ${SETUP}`, TQ_TEST_SPANS_FILE: spansFile };
    const broker = `sqlite://${join(dir, 'tq.db')}`;
    const worker = startCli(['worker', '--broker', broker, '--tasks', 'test/fixtures/e2e-tasks', '-P', 'async', '-c', '2'], { env });
    workers.push(worker);
    await worker.waitForOutput(/ready\./);
    const call = await runCli(['call', 'add', '2', '3', '--broker', broker, '--json'], { env });
    expect(call.stderr).toBe('');
    expect(call.code).toBe(0);
    const { id } = JSON.parse(call.stdout) as { id: string };
    const spans = () => (existsSync(spansFile) ? readFileSync(spansFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExportedSpan) : []);
    const run = await waitFor(() => spans().find((s) => s.kind === CONSUMER && s.attributes['messaging.message.id'] === id), 'the worker\'s run span');
    const send = spans().find((s) => s.kind === PRODUCER && s.attributes['messaging.message.id'] === id);
    expect(send?.name).toBe('send default');
    expect(send!.pid).not.toBe(worker.pid);
    expect(run).toMatchObject({ name: 'process default', pid: worker.pid, traceId: send!.traceId, parent: send!.spanId });
    expect(run!.attributes).toMatchObject({ 'tq.task.name': 'add', 'tq.task.state': 'SUCCESS', 'messaging.system': 'tq' });
  });
});
