import { useEffect, useState } from 'preact/hooks';
import type { WireDeadLetter } from '../../runtime/web/wire.js';
import { getJson } from '../api.js';
import { ActionButton } from '../components/actions.js';

/** Dead letters, newest first, with a preview of each body; read again whenever a queue's dead count changes. */
export function DeadLetters({ deadCount }: { deadCount: number | null }) {
  const [letters, setLetters] = useState<WireDeadLetter[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<WireDeadLetter[]>('/api/dead').then(setLetters, (err: Error) => setError(err.message));
  }, [deadCount]);
  if (error) return <p class="status error">{error}</p>;
  if (!letters) return <p class="loading">loading…</p>;
  return (
    <section data-testid="dead-letters">
      <h1>
        Dead letters <span class="muted">{letters.length} newest{deadCount !== null ? ` of ${deadCount}` : ''}</span>
        {letters.length > 0 && (
          <ActionButton
            label="requeue all"
            testId="requeue-all"
            action={{ name: 'requeue-dead', title: 'Requeue every dead letter?', detail: 'Each goes back to its queue as ready, exactly as it was (bodies cut to a preview stay).', body: {}, confirmLabel: 'Requeue all' }}
          />
        )}
      </h1>
      <table>
        <thead>
          <tr><th>task</th><th>id</th><th>queue</th><th>dead since</th><th>reason</th><th>body</th><th /></tr>
        </thead>
        <tbody>
          {letters.length === 0 && <tr><td colSpan={7} class="muted">no dead letters</td></tr>}
          {letters.map((d) => (
            <tr data-dead-id={d.id}>
              <td>{d.task}</td>
              <td class="mono">{d.id.slice(0, 8)}</td>
              <td>{d.queue}</td>
              <td>{d.deadAt.replace('T', ' ').slice(0, 19)}</td>
              <td class="reason">{d.reason}</td>
              <td>
                <details>
                  <summary>{d.preview.slice(0, 60)}{d.preview.length > 60 ? '…' : ''}</summary>
                  <pre>{d.preview}</pre>
                </details>
              </td>
              <td>
                <ActionButton
                  label="requeue"
                  testId={`requeue-${d.id}`}
                  action={{ name: 'requeue-dead', title: 'Requeue this dead letter?', detail: `${d.task}[${d.id}] goes back to ${d.queue} as ready.`, body: { ids: [d.id] }, confirmLabel: 'Requeue' }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
