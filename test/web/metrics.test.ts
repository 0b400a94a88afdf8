import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EventMetrics } from '../../src/runtime/metrics/event-metrics.js';
import { TqMetrics } from '../../src/runtime/metrics/families.js';
import { BoundedLabel, MAX_LABEL_VALUES, OTHER } from '../../src/runtime/metrics/labels.js';
import { sqliteSetup, useDeployments } from '../support/project.js';
import { freePort } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { event, T0 } from '../ui/fixtures.js';
import { readExposition, type Sample } from './prometheus.js';
import { startWeb, WEB_TASKS } from './support.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-/;
const sum = (samples: Sample[], labels: Record<string, string> = {}) =>
  samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

describe('metric labels', () => {
  it(`keep at most ${MAX_LABEL_VALUES} distinct values, registered names first, the rest folded into '${OTHER}'`, () => {
    const label = new BoundedLabel(3, ['add']);
    expect(['add', 'a', 'b', 'c', 'a', ''].map((v) => label.value(v))).toEqual(['add', 'a', 'b', OTHER, 'a', 'unknown']);
    const names = new BoundedLabel();
    const seen = new Set(Array.from({ length: 1000 }, (_, i) => names.value(`task_${i}`)));
    expect(seen.size).toBe(MAX_LABEL_VALUES + 1);
  });

  it('count events from the stream only once they are newer than tq web: a restart is not a burst', async () => {
    const metrics = new TqMetrics({ taskNames: ['send_mail'], gauges: { queues: () => [], workersOnline: () => 2 } });
    const feed = new EventMetrics(metrics, T0);
    feed.add([
      event('task-succeeded', 'old', T0 - 1000, { data: { runtimeMs: 5 } }),
      event('task-sent', 'a', T0 - 500),
      event('task-started', 'a', T0 + 250),
      event('task-succeeded', 'a', T0 + 300, { data: { runtimeMs: 50 } }),
      event('task-sent', 'later', T0, { data: { eta: new Date(T0 + 10_000).toISOString() } }),
      event('task-started', 'later', T0 + 10_100),
      event('task-retried', 'later', T0 + 10_200, { data: { delayMs: 1000 } }),
      event('task-started', 'later', T0 + 11_700),
      event('task-failed', 'later', T0 + 11_800, { data: { runtimeMs: 100, deadLettered: true } }),
    ]);
    const m = readExposition(await metrics.text());
    expect(m.samples('tq_tasks_total')).toEqual([
      { labels: { task: 'send_mail', state: 'SUCCESS' }, value: 1 },
      { labels: { task: 'send_mail', state: 'FAILURE' }, value: 1 },
    ]);
    // Waits: sent → start 750 ms; eta → start 100 ms; retry due → start 500 ms.
    expect(sum(m.samples('tq_task_queue_wait_seconds_count'))).toBe(3);
    expect(sum(m.samples('tq_task_queue_wait_seconds_sum'))).toBeCloseTo(1.35, 5);
    expect(sum(m.samples('tq_task_retries_total'))).toBe(1);
    expect(sum(m.samples('tq_dead_letters_total'), { queue: 'default' })).toBe(1);
    expect(m.samples('tq_workers_online')).toEqual([{ labels: {}, value: 2 }]);
  });
});

describe('/metrics on tq web and tq worker --metrics-port', () => {
  const deploy = useDeployments(sqliteSetup());

  it('stops a worker at start-up, cleanly, when its metrics port is taken', async () => {
    const d = deploy();
    const port = await freePort();
    const blocker = createServer().listen(port);
    try {
      const r = await d.cli(['worker', '--tasks', WEB_TASKS, '-P', 'prefork', '-c', '1', '--no-tui', '--metrics-port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot serve metrics on port ${port}: the port is in use`);
    } finally {
      blocker.close();
    }
  });

  it('serve the tq families with Prometheus types and bounded labels after some tasks ran', async () => {
    const d = deploy();
    const web = await startWeb(d);
    const port = await freePort();
    const worker = await d.worker(WEB_TASKS, ['-P', 'threads', '-c', '2', '-n', 'm1', '--metrics-port', String(port)]);
    expect(worker.output()).toContain(`metrics on http://localhost:${port}/metrics`);
    const client = await d.client();
    const adds = await Promise.all([1, 2, 3].map((i) => client.sendTask('add', { args: [i, 1], headers: { sentAt: Date.now() } })));
    const failed = await client.sendTask('fail', { args: ['no'] });
    const doomed = await client.sendTask('doomed');
    for (const a of adds) await a.get({ timeout: 30_000 });
    await waitFor(async () => (await failed.state()) === 'FAILURE' && (await doomed.state()) === 'FAILURE', 'the failures', 30_000);
    await client.sendTask('add', { args: [0, 0], countdown: 3600 }); // one scheduled message

    const scrape = async (url: string) => {
      const res = await fetch(url);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return readExposition(await res.text());
    };
    const fromWorker = await scrape(`http://127.0.0.1:${port}/metrics`);
    const fromWeb = await waitFor(async () => {
      const m = await scrape(new URL('/metrics', web.url).href);
      return sum(m.samples('tq_tasks_total')) >= 5 && sum(m.samples('tq_queue_messages'), { state: 'scheduled' }) === 1 ? m : null;
    }, "tq web's metrics to catch up with the event stream");

    for (const m of [fromWorker, fromWeb]) {
      const type = (name: string) => m.families.get(name)?.type;
      expect(type('tq_tasks_total')).toBe('COUNTER');
      expect(type('tq_task_retries_total')).toBe('COUNTER');
      expect(type('tq_dead_letters_total')).toBe('COUNTER');
      expect(type('tq_task_runtime_seconds')).toBe('HISTOGRAM');
      expect(type('tq_task_queue_wait_seconds')).toBe('HISTOGRAM');
      expect(type('tq_queue_messages')).toBe('GAUGE');
      expect(type('tq_workers_online')).toBe('GAUGE');
      expect(type('process_resident_memory_bytes')).toBe('GAUGE');
      expect(sum(m.samples('tq_tasks_total'), { task: 'add', state: 'SUCCESS' })).toBe(3);
      expect(sum(m.samples('tq_tasks_total'), { task: 'fail', state: 'FAILURE' })).toBe(1);
      expect(sum(m.samples('tq_tasks_total'), { task: 'doomed', state: 'FAILURE' })).toBe(1);
      expect(sum(m.samples('tq_task_retries_total'), { task: 'doomed' })).toBe(1);
      expect(sum(m.samples('tq_dead_letters_total'), { queue: 'default' })).toBe(1);
      expect(sum(m.samples('tq_task_runtime_seconds_count'), { task: 'add' })).toBe(3);
      expect(m.samples('tq_task_runtime_seconds_bucket').some((s) => s.labels.le === '+Inf' && s.labels.task === 'add' && s.value === 3)).toBe(true);
      expect(sum(m.samples('tq_task_queue_wait_seconds_count'), { queue: 'default' })).toBeGreaterThanOrEqual(3);
      expect(m.samples('tq_queue_messages').map((s) => s.labels.state).sort()).toEqual(['dead', 'leased', 'ready', 'scheduled']);
      expect(sum(m.samples('tq_queue_messages'), { queue: 'default', state: 'scheduled' })).toBe(1);
      expect(sum(m.samples('tq_queue_messages'), { queue: 'default', state: 'dead' })).toBe(1);
      expect(m.samples('tq_workers_online')).toEqual([{ labels: {}, value: 1 }]);
      // Names follow the conventions; no label ever carries a task id.
      for (const name of m.families.keys()) if (name.startsWith('tq_')) expect(name).toMatch(/^tq_[a-z_]+$/);
      for (const name of ['tq_tasks_total', 'tq_task_runtime_seconds_bucket', 'tq_task_queue_wait_seconds_bucket', 'tq_queue_messages']) {
        for (const s of m.samples(name)) for (const v of Object.values(s.labels)) expect(v).not.toMatch(UUID);
      }
    }
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
