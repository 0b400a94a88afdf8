import { useEffect, useState } from 'preact/hooks';
import type { WireSchedule } from '../../runtime/web/wire.js';
import { getJson } from '../api.js';
import { duration } from '../format.js';

/** The beat schedule with each entry's next runs; read again as soon as the soonest run is past. */
export function Schedule() {
  const [schedule, setSchedule] = useState<WireSchedule | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const [round, setRound] = useState(0);
  useEffect(() => {
    getJson<WireSchedule>('/api/schedule').then(setSchedule, (err: Error) => setError(err.message));
  }, [round]);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const soonest = Math.min(...(schedule?.entries ?? []).map((e) => Date.parse(e.next[0]?.at ?? '') || Infinity));
  useEffect(() => {
    if (Number.isFinite(soonest) && now > soonest) setRound((r) => r + 1);
  }, [now > soonest]);
  if (error) return <p class="status error">{error}</p>;
  if (!schedule) return <p class="loading">loading…</p>;
  return (
    <section data-testid="schedule">
      <h1>Schedule <span class="muted">periodic tasks (tq beat)</span></h1>
      {!schedule.available && <p class="status error">the schedule cannot be read here: {schedule.reason}</p>}
      <table>
        <thead>
          <tr><th>entry</th><th>task</th><th>schedule</th><th>queue</th><th>next run</th><th>then</th></tr>
        </thead>
        <tbody>
          {schedule.available && schedule.entries.length === 0 && <tr><td colSpan={6} class="muted">no periodic tasks (beat in tq.config.ts, or schedule on a task)</td></tr>}
          {schedule.entries.map((e) => (
            <tr data-entry={e.name}>
              <td>{e.name}</td>
              <td>{e.task}</td>
              <td class="mono">{e.schedule} <span class="muted">{e.tz}</span></td>
              <td>{e.queue}</td>
              <td>{e.next[0] ? <>{e.next[0].local} <span class="muted">in {duration(Math.max(0, Date.parse(e.next[0].at) - now))}</span></> : '–'}</td>
              <td class="muted wrap">{e.next.slice(1).map((n) => n.local).join(' · ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
