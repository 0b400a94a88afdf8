import { Box, Text } from 'ink';
import type { RunningTask } from '../../runtime/monitor/worker-activity.js';
import { duration, fit, progressBar, row } from './format.js';
import { Tone } from './Tone.js';

export interface RunningTasksProps {
  tasks: readonly RunningTask[];
  reserved: number;
  now: number;
  width: number;
  /** Rows available for tasks; the rest are counted in a "+N more" line. */
  maxRows: number;
}

/** The tasks running now: id, name, short args, elapsed time, and a progress bar once the task reports progress. */
export function RunningTasks({ tasks, reserved, now, width, maxRows }: RunningTasksProps) {
  const fixed = [8, 20, 0, 8, 24];
  const argsWidth = Math.max(6, width - fixed.reduce((a, b) => a + b, 0) - fixed.length);
  const widths = [8, 20, argsWidth, 8, 24];
  const shown = tasks.slice(0, Math.max(1, maxRows));
  const more = tasks.length - shown.length;
  const title = `running ${tasks.length}${reserved > 0 ? `, reserved ${reserved}` : ''}`;
  return (
    <Box flexDirection="column">
      <Tone bold>{title}</Tone>
      {tasks.length === 0 ? (
        <Tone dim>  (idle: waiting for tasks)</Tone>
      ) : (
        <Tone dim>{row(['ID', 'TASK', 'ARGS', 'ELAPSED', 'PROGRESS'], widths, new Set([3]))}</Tone>
      )}
      {shown.map((t) => (
        <Text key={t.id} wrap="truncate-end">
          <Tone color="cyan">{row([t.id.slice(0, 8), t.name, t.args], widths.slice(0, 3))}</Tone>
          <Text> {duration(now - t.startedAt).padStart(8)} </Text>
          <Tone color="green">{t.progress ? progressBar(t.progress.fraction, 8) : ''}</Tone>
          <Tone dim>{t.progress?.note ? ` ${fit(t.progress.note, 20)}` : ''}</Tone>
        </Text>
      ))}
      {more > 0 ? <Tone dim>  … {more} more running</Tone> : null}
    </Box>
  );
}
