import type { WireOverview, WireQueue, WireWorker } from '../../runtime/web/wire.js';
import { ActionButton } from '../components/actions.js';
import { Chart } from '../components/chart.js';
import { ago, bytes, duration, num, rate } from '../format.js';

export function Overview({ overview }: { overview: WireOverview | undefined }) {
  if (!overview) return <p class="loading">waiting for the cluster…</p>;
  const online = overview.workers.filter((w) => w.online).length;
  const s = overview.series;
  return (
    <section data-testid="overview">
      <h1>
        Workers <span class="muted">{online} of {overview.workers.length} online</span>
      </h1>
      <table data-testid="workers">
        <thead>
          <tr><th>worker</th><th>state</th><th>pool</th><th class="n">c</th><th class="n">active</th><th class="n">processed</th><th class="n">failed</th><th class="n">RSS</th><th class="n">heartbeat</th><th /></tr>
        </thead>
        <tbody>
          {overview.workers.length === 0 && <tr><td colSpan={10} class="muted">no worker has sent a heartbeat</td></tr>}
          {overview.workers.map((w) => <WorkerRow w={w} />)}
        </tbody>
      </table>
      <h1>Queues</h1>
      <table data-testid="queues">
        <thead>
          <tr><th>queue</th><th class="n">ready</th><th class="n">scheduled</th><th class="n">leased</th><th class="n">dead</th><th class="n">oldest wait</th><th class="n">in/s</th><th class="n">out/s</th><th /></tr>
        </thead>
        <tbody>
          {overview.queues.length === 0 && <tr><td colSpan={9} class="muted">no queue seen yet</td></tr>}
          {overview.queues.map((q) => <QueueRow q={q} />)}
        </tbody>
      </table>
      <div class="charts">
        <Chart title="Throughput" testId="chart-throughput" bucketMs={s.bucketMs} lastStart={s.lastStart} series={[{ label: 'succeeded', values: s.succeeded, className: 'c-ok' }]} />
        <Chart
          title="Failures"
          testId="chart-failures"
          bucketMs={s.bucketMs}
          lastStart={s.lastStart}
          series={[{ label: 'failed', values: s.failed, className: 'c-fail' }, { label: 'retried', values: s.retried, className: 'c-retry' }]}
        />
      </div>
    </section>
  );
}

function WorkerRow({ w }: { w: WireWorker }) {
  const pool = (op: 'grow' | 'shrink') => ({
    name: `pool-${op}`,
    title: `${op === 'grow' ? 'Grow' : 'Shrink'} the pool of ${w.hostname}?`,
    detail: `Now ${w.concurrency} at once (${w.pool}).`,
    body: { worker: w.hostname },
    fields: [{ key: 'n', label: 'by', kind: 'number' as const, value: '1' }],
    confirmLabel: op === 'grow' ? 'Grow' : 'Shrink',
  });
  return (
    <tr data-worker={w.hostname}>
      <td>{w.hostname}</td>
      <td><span class={w.online ? 'state s-success' : 'state s-offline'}>{w.online ? 'online' : 'offline'}</span></td>
      <td>{w.pool}</td>
      <td class="n">{num(w.concurrency)}</td>
      <td class="n">{num(w.active)}</td>
      <td class="n">{num(w.processed)}</td>
      <td class="n">{num(w.failed)}</td>
      <td class="n">{bytes(w.rssBytes)}</td>
      <td class="n">{ago(w.heartbeatAgeMs)}</td>
      <td class="actions">
        {w.online && <ActionButton label="+ pool" testId={`grow-${w.hostname}`} action={pool('grow')} />}
        {w.online && <ActionButton label="− pool" testId={`shrink-${w.hostname}`} action={pool('shrink')} />}
        {w.online && (
          <ActionButton
            label="rate limit"
            testId={`rate-${w.hostname}`}
            action={{
              name: 'rate-limit',
              title: `Set a rate limit on ${w.hostname}?`,
              detail: "Starts per second, minute or hour for one task on this worker ('10/s', '100/m'; 0 removes the limit).",
              body: { worker: w.hostname },
              fields: [{ key: 'task', label: 'task', kind: 'text', value: '' }, { key: 'rate', label: 'rate', kind: 'text', value: '10/s' }],
              confirmLabel: 'Set limit',
            }}
          />
        )}
      </td>
    </tr>
  );
}

function QueueRow({ q }: { q: WireQueue }) {
  return (
    <tr data-queue={q.queue}>
      <td>{q.queue}</td>
      <td class="n">{num(q.ready)}</td>
      <td class="n">{num(q.scheduled)}</td>
      <td class="n">{num(q.leased)}</td>
      <td class="n">{num(q.dead)}</td>
      <td class="n">{duration(q.oldestWaitMs)}</td>
      <td class="n">{rate(q.inPerSecond)}</td>
      <td class="n">{rate(q.outPerSecond)}</td>
      <td class="actions">
        <ActionButton
          label="purge"
          danger
          testId={`purge-${q.queue}`}
          action={{ name: 'purge', title: `Purge queue ${q.queue}?`, detail: `Removes its ${num(q.ready)} waiting message(s). Running and scheduled tasks and results stay.`, body: { queue: q.queue }, confirmLabel: 'Purge', danger: true }}
        />
      </td>
    </tr>
  );
}
