import { Box } from 'ink';
import type { WorkerView } from '../../runtime/monitor/cluster-state.js';
import { bytes, duration, row } from '../dashboard/format.js';
import { Tone } from '../dashboard/Tone.js';

const HEAD = ['WORKER', 'STATE', 'POOL', 'C', 'ACTIVE', 'PROCESSED', 'FAILED', 'RSS', 'HEARTBEAT'];
const RIGHT = new Set([3, 4, 5, 6, 7, 8]);

/** Every worker that reported to this broker; offline ones dimmed. */
export function WorkersTable({ workers, now, width, maxRows }: { workers: readonly WorkerView[]; now: number; width: number; maxRows: number }) {
  const widths = [Math.max(12, width - 70), 7, 7, 3, 6, 9, 6, 6, 9];
  const shown = workers.slice(0, Math.max(1, maxRows));
  const online = workers.filter((w) => w.online).length;
  return (
    <Box flexDirection="column">
      <Tone bold>{row([`WORKERS ${online}/${workers.length} online`, ...HEAD.slice(1)], widths, RIGHT)}</Tone>
      {workers.length === 0 ? <Tone dim>  (no worker has reported to this broker)</Tone> : null}
      {shown.map((w) => (
        <Tone key={w.hostname} dim={!w.online} color={w.online ? undefined : 'gray'}>
          {row(
            [w.hostname, w.online ? 'online' : 'offline', w.pool, String(w.concurrency), String(w.active), String(w.processed), String(w.failed), bytes(w.rssBytes), `${duration(now - Date.parse(w.sentAt))} ago`],
            widths,
            RIGHT,
          )}
        </Tone>
      ))}
      {workers.length > shown.length ? <Tone dim>  … {workers.length - shown.length} more</Tone> : null}
    </Box>
  );
}
