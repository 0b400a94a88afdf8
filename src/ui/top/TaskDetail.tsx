import { Box, Text } from 'ink';
import { runtimeOf, type TaskView } from '../../runtime/monitor/cluster-state.js';
import { safeJson } from '../../runtime/safe-text.js';
import { duration, fit, progressBar, traceHead } from '../dashboard/format.js';
import { StateText, Tone } from '../dashboard/Tone.js';

/** Everything known about one task: arguments, result or error with its traceback, and the timeline of its states. */
export function TaskDetail({ task, now, width, maxRows }: { task: TaskView; now: number; width: number; maxRows: number }) {
  const field = (label: string, value: string) => (
    <Text key={label} wrap="truncate-end">
      <Tone dim>{label.padEnd(10)}</Tone>
      {fit(value, width - 10)}
    </Text>
  );
  const fields = [
    field('id', task.id),
    field('worker', task.worker ?? '-'),
    field('queue', task.queue ?? '-'),
    field('retries', String(task.retries ?? 0)),
    field('args', task.args ? json(task.args) : '(not seen)'),
    field('kwargs', task.kwargs ? json(task.kwargs) : '(not seen)'),
    field('runtime', duration(runtimeOf(task, now))),
  ];
  if (task.progress) fields.push(field('progress', `${progressBar(task.progress.fraction, 20)} ${task.progress.note ?? ''}`));
  if (task.result !== undefined) fields.push(field('result', json(task.result)));
  if (task.reason) fields.push(field('reason', task.reason));
  if (task.error) fields.push(field('error', `${task.error.name}: ${task.error.message}`));
  if (task.parentId) fields.push(field('parent', task.parentId));
  if (task.groupId) fields.push(field('group', task.groupId));
  if (task.children?.length) fields.push(field('children', task.children.join(', ')));
  const timelineRows = Math.min(task.timeline.length, 8);
  const traceRows = Math.max(0, maxRows - fields.length - timelineRows - 4);
  const trace = traceHead(task.error?.stack, traceRows + 1).slice(1);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Tone bold>{`TASK ${fit(task.name, width - 20)} `}</Tone>
        <StateText state={task.state} />
      </Text>
      {fields}
      {trace.length > 0 ? <Tone dim>traceback</Tone> : null}
      {trace.map((line, i) => (
        <Tone key={i} color="red">{fit(`  ${line.trim()}`, width)}</Tone>
      ))}
      <Tone dim>timeline</Tone>
      {task.timeline.slice(-timelineRows).map((step, i) => (
        <Text key={i} wrap="truncate-end">
          {`  ${new Date(step.at).toISOString().slice(11, 23)}  `}
          <StateText state={step.state} width={9} />
          <Tone dim>{step.worker ? ` ${fit(step.worker, width - 30)}` : ''}</Tone>
        </Text>
      ))}
    </Box>
  );
}

function json(value: unknown): string {
  try {
    return typeof value === 'string' ? value : safeJson(value);
  } catch {
    return String(value);
  }
}
