import type { WireTaskList } from '../../runtime/web/wire.js';
import { Progress, StateBadge } from '../components/state.js';
import { TaskActions } from '../components/task-actions.js';
import { duration, STATES, time } from '../format.js';
import { href, navigate, type Route } from '../router.js';

const FILTERS = ['name', 'state', 'worker', 'queue', 'id'] as const;

export function filterOf(route: Route): Record<string, string | undefined> {
  return Object.fromEntries(FILTERS.map((k) => [k, route.params.get(k) || undefined]));
}

export function Tasks({ list, route }: { list: WireTaskList | undefined; route: Route }) {
  const filter = filterOf(route);
  const set = (key: string, value: string) => navigate('/tasks', { ...filter, [key]: value || undefined });
  const select = (key: string, options: string[]) => (
    <label>
      {key}
      <select value={filter[key] ?? ''} data-testid={`filter-${key}`} onChange={(e) => set(key, (e.target as HTMLSelectElement).value)}>
        <option value="">all</option>
        {[...new Set([...(filter[key] ? [filter[key]!] : []), ...options])].map((o) => <option value={o}>{o}</option>)}
      </select>
    </label>
  );
  return (
    <section data-testid="tasks">
      <h1>
        Tasks {list && <span class="muted">{list.rows.length} shown of {list.matched} matching · {list.kept} kept</span>}
      </h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {select('name', list?.names ?? [])}
        {select('state', STATES)}
        {select('worker', list?.workers ?? [])}
        {select('queue', list?.queues ?? [])}
        <label>
          id
          <input type="search" placeholder="part of an id" value={filter.id ?? ''} data-testid="filter-id" onChange={(e) => set('id', (e.target as HTMLInputElement).value.trim())} />
        </label>
        {filter.id && <a href={href(`/task/${filter.id}`)} data-testid="open-id">open {filter.id}</a>}
      </form>
      {!list ? (
        <p class="loading">loading…</p>
      ) : (
        <table data-testid="task-list">
          <thead>
            <tr><th>state</th><th>task</th><th>id</th><th>worker</th><th>queue</th><th>first seen</th><th class="n">runtime</th><th>progress</th><th /></tr>
          </thead>
          <tbody>
            {list.rows.length === 0 && <tr><td colSpan={9} class="muted">no task matches</td></tr>}
            {list.rows.map((t) => (
              <tr data-task-id={t.id} key={t.id}>
                <td><StateBadge state={t.state} /></td>
                <td>{t.name}</td>
                <td class="mono"><a href={href(`/task/${t.id}`)}>{t.id.slice(0, 8)}</a></td>
                <td>{t.worker ?? '–'}</td>
                <td>{t.queue ?? '–'}</td>
                <td>{time(t.firstSeen)}</td>
                <td class="n">{duration(t.runtimeMs)}</td>
                <td><Progress progress={t.progress} /></td>
                <td><TaskActions task={t} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
