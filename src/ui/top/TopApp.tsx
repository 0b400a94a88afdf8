import { Box, Text, useApp, useInput, type Key } from 'ink';
import { useEffect, useMemo, useReducer, useRef } from 'react';
import type { MonitorActions } from '../../runtime/monitor/actions.js';
import { visibleTasks, type ClusterState, type TaskView } from '../../runtime/monitor/cluster-state.js';
import { fit } from '../dashboard/format.js';
import { Tone } from '../dashboard/Tone.js';
import { HelpView } from './HelpView.js';
import { KeyLine, type KeyLineMode } from './KeyLine.js';
import { QueuesTable } from './QueuesTable.js';
import { TaskDetail } from './TaskDetail.js';
import { TaskList } from './TaskList.js';
import { WorkersTable } from './WorkersTable.js';

export interface TopAppProps {
  state: ClusterState;
  actions: MonitorActions;
  /** Re-reads one task's stored record (the detail view). */
  fetchTask(id: string): Promise<void>;
  /** Shown in the title line (masked). */
  broker: string;
  now: number;
  columns: number;
  rows: number;
}

type Pending = { what: 'revoke' | 'terminate' | 'retry'; task: TaskView } | { what: 'purge'; queue: string };

interface UiState {
  view: 'list' | 'detail' | 'help';
  focus: 'tasks' | 'queues';
  filter: string;
  editing: boolean;
  /** Follows a task by id as the list changes; the index is the fallback when it is gone. */
  selected: { id?: string; index: number };
  queueIndex: number;
  pending?: Pending;
  status: string;
  detailId?: string;
}

/**
 * `tq top`. Views: list (workers, queues, tasks) → detail (one task) → back;
 * help over either; filter editing and y/n confirmation take the keyboard
 * until answered. Selection follows a task by id as the list changes.
 */
export function TopApp({ state, actions, fetchTask, broker, now, columns, rows }: TopAppProps) {
  const { exit } = useApp();
  // Kept in a ref, not in separate useState calls: one chunk of input ("j\r", a paste) is several keys, and each must see the previous one's effect.
  const ui = useRef<UiState>({ view: 'list', focus: 'tasks', filter: '', editing: false, selected: { index: 0 }, queueIndex: 0, status: '' });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const set = (changes: Partial<UiState>) => {
    ui.current = { ...ui.current, ...changes };
    redraw();
  };
  const { view, focus, filter, editing, queueIndex, pending, status, detailId } = ui.current;

  const tasksFor = (f: string) => visibleTasks(state, f);
  const tasks = useMemo(() => visibleTasks(state, filter), [state, filter]);
  const indexIn = (list: readonly TaskView[]) => {
    const { id, index } = ui.current.selected;
    const found = id === undefined ? -1 : list.findIndex((t) => t.id === id);
    return found !== -1 ? found : Math.min(index, Math.max(0, list.length - 1));
  };
  const index = indexIn(tasks);
  const selectedTask = (): TaskView | undefined => {
    const u = ui.current;
    if (u.view === 'detail' && u.detailId) return state.tasks.get(u.detailId);
    const list = tasksFor(u.filter);
    return list[indexIn(list)];
  };
  const task = selectedTask();
  const queue = state.queues[Math.min(queueIndex, Math.max(0, state.queues.length - 1))];

  useEffect(() => {
    if (view !== 'detail' || !detailId) return;
    const refresh = () => void fetchTask(detailId).catch(() => undefined);
    refresh();
    const timer = setInterval(refresh, 1000);
    return () => clearInterval(timer);
  }, [view, detailId, fetchTask]);

  const move = (delta: number) => {
    const u = ui.current;
    if (u.focus === 'queues') return set({ queueIndex: Math.max(0, Math.min(state.queues.length - 1, u.queueIndex + delta)) });
    const list = tasksFor(u.filter);
    const next = Math.max(0, Math.min(list.length - 1, indexIn(list) + delta));
    set({ selected: { id: list[next]?.id, index: next } });
  };

  const run = (p: Pending) => {
    set({ status: `${p.what}…` });
    const work = p.what === 'purge' ? actions.purge(p.queue) : actions[p.what](p.task);
    work.then(
      (message) => set({ status: message }),
      (err: Error) => set({ status: `error: ${err.message}` }),
    );
  };

  const ask = (what: Pending['what']) => {
    const u = ui.current;
    if (what === 'purge') {
      const q = state.queues[Math.min(u.queueIndex, Math.max(0, state.queues.length - 1))];
      return q ? set({ pending: { what, queue: q.queue } }) : set({ status: 'no queue to purge' });
    }
    const t = selectedTask();
    if (!t) return set({ status: 'no task selected' });
    set({ pending: { what, task: t } });
  };

  const handleKey = (input: string, key: Key) => {
    const u = ui.current;
    if (u.pending) {
      const answer = u.pending;
      set({ pending: undefined });
      if (input === 'y' || input === 'Y') run(answer);
      else set({ status: 'cancelled' });
      return;
    }
    if (u.editing) {
      if (key.return) return set({ editing: false, selected: { index: 0 } });
      if (key.escape) return set({ filter: '', editing: false });
      if (key.backspace || key.delete) return set({ filter: u.filter.slice(0, -1) });
      if (input && !key.ctrl && !key.meta) set({ filter: u.filter + input, selected: { index: 0 } });
      return;
    }
    if (u.view === 'help') return set({ view: 'list' });
    if (input === 'q' || (key.ctrl && input === 'c')) return exit();
    if (input === '?') return set({ view: 'help' });
    if (input === 'r') return ask('revoke');
    if (input === 't') return ask('terminate');
    if (input === 'R') return ask('retry');
    if (input === 'p') return ask('purge');
    if (u.view === 'detail') {
      if (key.escape || key.return || key.leftArrow || key.backspace) set({ view: 'list' });
      return;
    }
    if (key.upArrow || input === 'k') return move(-1);
    if (key.downArrow || input === 'j') return move(1);
    if (key.pageUp) return move(-10);
    if (key.pageDown) return move(10);
    if (key.tab) return set({ focus: u.focus === 'tasks' ? 'queues' : 'tasks' });
    if (input === '/') return set({ focus: 'tasks', editing: true });
    if (key.escape) return set({ filter: '' });
    if (key.return) {
      const t = selectedTask();
      if (t) set({ detailId: t.id, view: 'detail' });
    }
  };

  useInput((input, key) => {
    // Plain characters arriving in one chunk are separate key presses; escape sequences come parsed already.
    if (input.length <= 1 || key.ctrl || key.meta || input.startsWith('\x1b')) return handleKey(input, key);
    for (const ch of input) handleKey(ch === '\r' || ch === '\n' ? '' : ch, { ...key, return: ch === '\r' || ch === '\n', tab: ch === '\t' });
  });

  const width = Math.max(40, columns - 1);
  // Leave the last line free: an Ink frame as tall as the terminal is redrawn by clearing the screen.
  const body = Math.max(6, rows - 4);
  const workerRows = Math.min(Math.max(1, state.workers.length + (state.longOffline > 0 ? 1 : 0)), Math.max(1, Math.floor(body / 5)));
  const queueRows = Math.min(Math.max(1, state.queues.length), Math.max(1, Math.floor(body / 5)));
  const taskRows = Math.max(1, body - workerRows - queueRows - 3);
  const mode: KeyLineMode = pending ? 'confirm' : editing ? 'filter' : view === 'list' ? 'list' : view;
  const online = state.workers.filter((w) => w.online).length;

  return (
    <Box flexDirection="column" width={width} height={Math.max(8, rows - 1)}>
      <Text wrap="truncate-end">
        <Tone bold>tq top</Tone>
        <Tone dim>{fit(` · ${broker} · ${online} worker(s) online · ${new Date(now).toISOString().slice(11, 19)} UTC`, width - 6)}</Tone>
      </Text>
      <Box flexDirection="column" flexGrow={1} overflow="hidden">
      {view === 'help' ? (
        <HelpView />
      ) : view === 'detail' && task ? (
        <TaskDetail task={task} now={now} width={width} maxRows={body} />
      ) : (
        <>
          <WorkersTable workers={state.workers} longOffline={state.longOffline} now={now} width={width} maxRows={workerRows} />
          <QueuesTable queues={state.queues} selected={queueIndex} focused={focus === 'queues'} width={width} maxRows={queueRows} />
          <TaskList tasks={tasks} selected={index} focused={focus === 'tasks'} filter={filter} now={now} width={width} maxRows={taskRows} />
        </>
      )}
      </Box>
      <StatusLine pending={pending} editing={editing} filter={filter} status={status} error={state.error} width={width} />
      <KeyLine mode={mode} width={width} />
    </Box>
  );
}

function StatusLine({ pending, editing, filter, status, error, width }: { pending?: Pending; editing: boolean; filter: string; status: string; error?: string; width: number }) {
  if (pending) {
    const target = pending.what === 'purge' ? `the waiting messages of queue ${pending.queue}` : `${pending.task.name}[${pending.task.id}]`;
    return <Tone bold color="yellow">{fit(`${pending.what === 'purge' ? 'Purge' : cap(pending.what)} ${target}? (y/n)`, width)}</Tone>;
  }
  if (editing) return <Text>{`/${fit(filter, width - 2)}█`}</Text>;
  if (error) return <Tone color="red">{fit(`broker error: ${error}`, width)}</Tone>;
  return <Tone color={status.startsWith('error') ? 'red' : 'green'}>{fit(status || ' ', width)}</Tone>;
}

function cap(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}
