import { useEffect, useState } from 'preact/hooks';
import type { WireTask } from '../../runtime/web/wire.js';
import { getJson } from '../api.js';
import { Progress, StateBadge } from '../components/state.js';
import { TaskActions } from '../components/task-actions.js';
import { duration, json, num, time } from '../format.js';
import { href } from '../router.js';

/**
 * One task in full. The live stream says when it changes (state, timeline,
 * progress); the whole record (result, traceback) is then read again from
 * /api/tasks/ID, which also finds tasks the stream no longer holds.
 */
export function TaskDetail({ id, live }: { id: string; live: WireTask | null | undefined }) {
  const [task, setTask] = useState<WireTask | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = live ? `${live.state}:${live.timeline.length}` : 'none';
  useEffect(() => {
    getJson<WireTask>(`/api/tasks/${encodeURIComponent(id)}`).then(
      (t) => {
        setTask(t);
        setError(null);
      },
      (err: Error) => setError(err.message),
    );
  }, [id, version]);
  const shown = task && live ? { ...task, progress: live.progress, runtimeMs: live.runtimeMs ?? task.runtimeMs } : task;
  if (!shown) return <p class={error ? 'status error' : 'loading'}>{error ?? 'loading…'}</p>;
  return (
    <section data-testid="task-detail" data-state={shown.state}>
      <h1>
        {shown.name} <StateBadge state={shown.state} /> <TaskActions task={shown} />
      </h1>
      <dl class="facts">
        <dt>id</dt><dd class="mono">{shown.id}</dd>
        <dt>worker</dt><dd>{shown.worker ?? '–'}</dd>
        <dt>queue</dt><dd>{shown.queue ?? '–'}</dd>
        <dt>retries</dt><dd>{num(shown.retries)}</dd>
        <dt>started</dt><dd>{time(shown.startedAt)}</dd>
        <dt>finished</dt><dd>{time(shown.finishedAt)}</dd>
        <dt>runtime</dt><dd>{duration(shown.runtimeMs)}</dd>
        <dt>progress</dt><dd>{shown.progress ? <Progress progress={shown.progress} /> : '–'}</dd>
        <dt>from</dt><dd class="muted">{shown.source === 'result' ? 'the stored result (no longer in the event stream)' : shown.source === 'events' ? 'the event stream' : 'the event stream and the stored result'}</dd>
      </dl>
      <h2>Arguments</h2>
      {shown.args === null && shown.kwargs === null ? <p class="muted">not known here (no task-received event seen)</p> : (
        <>
          <pre data-testid="task-args">{json(shown.args ?? [])}</pre>
          {shown.kwargs && Object.keys(shown.kwargs).length > 0 && <pre data-testid="task-kwargs">{json(shown.kwargs)}</pre>}
        </>
      )}
      {shown.hasResult && (
        <>
          <h2>Result</h2>
          <pre data-testid="task-result">{json(shown.result)}</pre>
        </>
      )}
      {shown.error && (
        <>
          <h2>Error</h2>
          <p class="error-line" data-testid="task-error">{shown.error.name}: {shown.error.message}</p>
          {shown.error.stack && <pre class="traceback">{shown.error.stack}</pre>}
        </>
      )}
      {shown.reason && <p class="muted">reason: {shown.reason}</p>}
      <h2>Timeline</h2>
      {shown.timeline.length === 0 ? <p class="muted">no events kept for this task</p> : (
        <ol class="timeline" data-testid="timeline">
          {shown.timeline.map((s) => (
            <li><StateBadge state={s.state} /> {time(s.at)} {s.worker ? <span class="muted">on {s.worker}</span> : null}</li>
          ))}
        </ol>
      )}
      <h2>Workflow</h2>
      <div data-testid="workflow">
        {/* Filled in once the canvas (chains, groups, chords) records parents and children. */}
        {shown.parentId || (shown.children && shown.children.length > 0) ? (
          <ul>
            {shown.parentId && <li>parent <a href={href(`/task/${shown.parentId}`)}>{shown.parentId}</a></li>}
            {(shown.children ?? []).map((c) => <li>child <a href={href(`/task/${c}`)}>{c}</a></li>)}
          </ul>
        ) : (
          <p class="muted">no parent or children recorded</p>
        )}
      </div>
    </section>
  );
}
