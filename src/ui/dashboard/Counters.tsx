import { Box, Text } from 'ink';
import type { ActivitySnapshot } from '../../runtime/monitor/worker-activity.js';
import { perSecond, sparkline } from './format.js';
import { Tone } from './Tone.js';

/** received / succeeded / failed / retried, tasks per second, and the last minute as a sparkline. */
export function Counters({ snapshot, width }: { snapshot: ActivitySnapshot; width: number }) {
  const c = snapshot.counters;
  const label = `tasks/s ${perSecond(snapshot.tasksPerSecond).padStart(5)}  `;
  const chartWidth = Math.max(10, Math.min(snapshot.sparkline.length, width - label.length - 12));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Tone>received {c.received}</Tone>
        <Tone dim>  ·  </Tone>
        <Tone color="green">succeeded {c.succeeded}</Tone>
        <Tone dim>  ·  </Tone>
        <Tone color="red">failed {c.failed}</Tone>
        <Tone dim>  ·  </Tone>
        <Tone color="yellow">retried {c.retried}</Tone>
      </Text>
      <Text wrap="truncate-end">
        <Tone bold>{label}</Tone>
        <Tone color="cyan">{sparkline(snapshot.sparkline, chartWidth)}</Tone>
        <Tone dim> last 60s</Tone>
      </Text>
    </Box>
  );
}
