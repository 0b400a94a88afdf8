import { Box, Text } from 'ink';
import type { QueueView } from '../../runtime/monitor/cluster-state.js';
import { duration, perSecond, row } from '../dashboard/format.js';
import { Tone } from '../dashboard/Tone.js';

const HEAD = ['QUEUES', 'READY', 'SCHEDULED', 'LEASED', 'DEAD', 'OLDEST', 'IN/s', 'OUT/s'];
const RIGHT = new Set([1, 2, 3, 4, 5, 6, 7]);

export interface QueuesTableProps {
  queues: readonly QueueView[];
  selected: number;
  focused: boolean;
  width: number;
  maxRows: number;
}

/** Depth of each queue, the age of its oldest waiting message, and messages in and out per second. */
export function QueuesTable({ queues, selected, focused, width, maxRows }: QueuesTableProps) {
  const widths = [Math.max(10, width - 62), 7, 9, 7, 6, 8, 7, 7];
  const start = Math.max(0, Math.min(selected - maxRows + 1, queues.length - maxRows));
  const shown = queues.slice(start, start + Math.max(1, maxRows));
  return (
    <Box flexDirection="column">
      <Tone bold>{`  ${row(HEAD, widths, RIGHT)}`}</Tone>
      {queues.length === 0 ? <Tone dim>  (no queues yet)</Tone> : null}
      {shown.map((q, i) => {
        const isSelected = focused && start + i === selected;
        const cells = [q.queue, String(q.ready), q.scheduled === null ? '-' : String(q.scheduled), q.leased === null ? '-' : String(q.leased), String(q.dead), q.oldestReadyAgeMs === null ? '-' : duration(q.oldestReadyAgeMs), perSecond(q.inPerSecond), perSecond(q.outPerSecond)];
        return (
          <Text key={q.queue} inverse={isSelected} wrap="truncate-end">
            {`${isSelected ? '›' : ' '} ${row(cells, widths, RIGHT)}`}
          </Text>
        );
      })}
    </Box>
  );
}
