import { Box, Text } from 'ink';
import { duration, fit } from './format.js';
import { Tone } from './Tone.js';

export interface DashboardInfo {
  hostname: string;
  version: string;
  /** Already masked (no password). */
  broker: string;
  pool: string;
  concurrency: number;
  queues: readonly string[];
  startedAt: number;
}

/** Who, where, how: the worker's identity in two lines. */
export function Header({ info, now, width }: { info: DashboardInfo; now: number; width: number }) {
  const second = `broker ${info.broker}  pool ${info.pool} (c=${info.concurrency})  queues ${info.queues.join(',')}`;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Tone bold>tq {info.version}</Tone>
        <Tone dim> · </Tone>
        <Tone bold color="cyan">{fit(info.hostname, width)}</Tone>
        <Tone dim>  up {duration(now - info.startedAt)}</Tone>
      </Text>
      <Tone dim>{fit(second, width)}</Tone>
    </Box>
  );
}
