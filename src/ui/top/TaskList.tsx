import { Box, Text } from 'ink';
import { runtimeOf, type TaskView } from '../../runtime/monitor/cluster-state.js';
import { duration, fit, row } from '../dashboard/format.js';
import { StateText, Tone } from '../dashboard/Tone.js';

export interface TaskListProps {
  tasks: readonly TaskView[];
  selected: number;
  focused: boolean;
  filter: string;
  now: number;
  width: number;
  maxRows: number;
}

/** The live task list, newest first: state, name, id, worker, runtime; a window that follows the selection. */
export function TaskList({ tasks, selected, focused, filter, now, width, maxRows }: TaskListProps) {
  // 5 columns and their gaps take 8+8+8+6 fixed; the title keeps 26 at the right of the heading.
  const name = Math.max(12, Math.floor((width - 30 - 26) / 2));
  const widths = [8, name, 8, Math.max(10, width - 30 - 26 - name), 8];
  const rows = Math.max(1, maxRows);
  const start = Math.max(0, Math.min(selected - Math.floor(rows / 2), tasks.length - rows));
  const shown = tasks.slice(start, start + rows);
  const title = `TASKS ${tasks.length}${filter ? ` matching "${filter}"` : ''}`;
  return (
    <Box flexDirection="column">
      <Tone bold>{`  ${row(['STATE', 'TASK', 'ID', 'WORKER', 'RUNTIME'], widths, new Set([4]))}  ${fit(title, 24)}`}</Tone>
      {tasks.length === 0 ? <Tone dim>{filter ? '  (no task matches the filter)' : '  (no task events yet)'}</Tone> : null}
      {shown.map((t, i) => {
        const isSelected = focused && start + i === selected;
        const rest = row([t.name, t.id.slice(0, 8), t.worker ?? '-', duration(runtimeOf(t, now))], widths.slice(1), new Set([3]));
        const progress = t.state === 'STARTED' && t.progress ? ` ${Math.round(t.progress.fraction * 100)}%` : '';
        return (
          <Text key={t.id} inverse={isSelected} wrap="truncate-end">
            {isSelected ? '› ' : '  '}
            <StateText state={t.state} width={8} />
            {` ${rest}${progress}`}
          </Text>
        );
      })}
    </Box>
  );
}
