import { Box } from 'ink';
import type { ActivitySnapshot, LogItem } from '../../runtime/monitor/worker-activity.js';
import { Counters } from './Counters.js';
import { ErrorsPanel } from './ErrorsPanel.js';
import { FinishedLog } from './FinishedLog.js';
import { Header, type DashboardInfo } from './Header.js';
import { RunningTasks } from './RunningTasks.js';
import { Tone } from './Tone.js';

export interface WorkerDashboardProps {
  info: DashboardInfo;
  snapshot: ActivitySnapshot;
  /** Everything for the `<Static>` log so far (this generation). */
  log: readonly LogItem[];
  /** Changes when `log` is restarted, so `<Static>` starts over with the new array. */
  logGeneration: number;
  now: number;
  columns: number;
  rows: number;
}

/**
 * The worker's live view: finished tasks scroll by above (Static); below, a
 * live region sized to the terminal: header, running tasks, counters, errors.
 */
export function WorkerDashboard({ info, snapshot, log, logGeneration, now, columns, rows }: WorkerDashboardProps) {
  const width = Math.max(20, columns - 1);
  const traceLines = rows >= 30 ? 2 : 1;
  const errorLines = snapshot.errors.length === 0 ? 0 : 1 + snapshot.errors.length * (1 + traceLines);
  // header 2 + separator 1 + running title/heading 2 + counters 2 + separator 1, and a spare line for the cursor.
  const maxRows = Math.max(1, rows - 10 - errorLines);
  return (
    <Box flexDirection="column">
      <FinishedLog key={logGeneration} items={log} width={width} />
      <Tone dim>{'─'.repeat(width)}</Tone>
      <Header info={info} now={now} width={width} />
      <RunningTasks tasks={snapshot.running} reserved={snapshot.reserved} now={now} width={width} maxRows={maxRows} />
      <Counters snapshot={snapshot} width={width} />
      <ErrorsPanel errors={snapshot.errors} width={width} traceLines={traceLines} />
    </Box>
  );
}
