import { useEffect, useState } from 'preact/hooks';
import type { WireSession } from '../runtime/web/wire.js';
import { HttpError, loadSession, setToken } from './api.js';
import { ActionHost, setCanAct } from './components/actions.js';
import { useLive } from './live.js';
import { DeadLetters } from './pages/dead.js';
import { Overview } from './pages/overview.js';
import { Schedule } from './pages/schedule.js';
import { TaskDetail } from './pages/task.js';
import { filterOf, Tasks } from './pages/tasks.js';
import { href, useRoute, type Route } from './router.js';

export function App() {
  const [session, setSession] = useState<WireSession | null>(null);
  const [problem, setProblem] = useState<{ needToken: boolean; message: string } | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    loadSession().then(
      (s) => {
        setCanAct(s.canAct);
        setSession(s);
        setProblem(null);
      },
      (err: Error) => setProblem({ needToken: err instanceof HttpError && err.status === 401, message: err.message }),
    );
  }, [attempt]);
  if (problem?.needToken) return <TokenForm message={problem.message} onToken={(t) => (setToken(t), setAttempt(attempt + 1))} />;
  if (problem) return <p class="status error">{problem.message}</p>;
  if (!session) return <p class="loading">loading tq web…</p>;
  return <Shell session={session} />;
}

function Shell({ session }: { session: WireSession }) {
  const route = useRoute();
  const query = streamQuery(route);
  const { update, connected } = useLive(query);
  const page = route.path.split('/')[1] ?? '';
  const deadCount = update?.overview ? update.overview.queues.reduce((sum, q) => sum + (q.dead ?? 0), 0) : null;
  return (
    <>
      <header>
        <span class="brand">tq web</span>
        <nav>
          <a href={href('/')} class={page === '' ? 'on' : ''}>Overview</a>
          <a href={href('/tasks')} class={page === 'tasks' || page === 'task' ? 'on' : ''}>Tasks</a>
          <a href={href('/dead')} class={page === 'dead' ? 'on' : ''}>Dead letters</a>
          <a href={href('/schedule')} class={page === 'schedule' ? 'on' : ''}>Schedule</a>
        </nav>
        <span class="muted">{session.broker}</span>
        {query !== null && <span class={connected ? 'live on' : 'live'} data-testid="live">{connected ? 'live' : 'connecting…'}</span>}
      </header>
      {!session.canAct && (
        <p class="notice" data-testid="actions-off">{session.actionsOff}</p>
      )}
      {update?.overview?.error && <p class="status error">broker: {update.overview.error}</p>}
      <ActionHost />
      <main>
        {page === '' && <Overview overview={update?.overview} />}
        {page === 'tasks' && <Tasks list={update?.tasks} route={route} />}
        {page === 'task' && <TaskDetail id={decodeURIComponent(route.path.slice('/task/'.length))} live={update?.task} />}
        {page === 'dead' && <DeadLetters deadCount={deadCount} />}
        {page === 'schedule' && <Schedule />}
      </main>
      <footer class="muted">tq {session.version} · {session.auth === 'none' ? 'no auth' : `${session.auth} auth`}{session.readOnly ? ' · read-only' : ''}</footer>
    </>
  );
}

function streamQuery(route: Route): string | null {
  const page = route.path.split('/')[1] ?? '';
  if (page === 'tasks') return new URLSearchParams({ view: 'tasks', ...Object.fromEntries(Object.entries(filterOf(route)).filter((e): e is [string, string] => Boolean(e[1]))) }).toString();
  if (page === 'task') return new URLSearchParams({ view: 'task', id: decodeURIComponent(route.path.slice('/task/'.length)) }).toString();
  if (page === 'schedule') return null;
  return 'view=overview';
}

function TokenForm({ message, onToken }: { message: string; onToken: (token: string) => void }) {
  const [token, setValue] = useState('');
  return (
    <form
      class="dialog login"
      data-testid="token-form"
      onSubmit={(e) => {
        e.preventDefault();
        onToken(token);
      }}
    >
      <h2>tq web</h2>
      <p>{message}. Enter the token tq web was started with (--token).</p>
      <input type="password" autoComplete="current-password" value={token} onInput={(e) => setValue((e.target as HTMLInputElement).value)} data-testid="token-input" />
      <button type="submit" class="primary">Open</button>
    </form>
  );
}
