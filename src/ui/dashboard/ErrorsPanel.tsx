import { Box } from 'ink';
import type { ErrorItem } from '../../runtime/monitor/worker-activity.js';
import { fit, traceHead } from './format.js';
import { Tone } from './Tone.js';

/** The last errors, each with the first lines of its traceback. */
export function ErrorsPanel({ errors, width, traceLines }: { errors: readonly ErrorItem[]; width: number; traceLines: number }) {
  if (errors.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Tone bold color="red">last errors</Tone>
      {errors.map((e) => (
        <Box key={`${e.id}-${e.at}`} flexDirection="column">
          <Tone color="red">{fit(`${e.name}[${e.id.slice(0, 8)}] ${e.error.name}: ${e.error.message}`, width)}</Tone>
          {traceHead(e.error.stack, traceLines + 1).slice(1).map((line, i) => (
            <Tone key={i} dim>{fit(`    ${line.trim()}`, width)}</Tone>
          ))}
        </Box>
      ))}
    </Box>
  );
}
