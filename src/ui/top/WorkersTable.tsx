import { Box } from 'ink';
import type { WorkerView } from '../../runtime/monitor/cluster-state.js';
import { bytes, duration, offlineSummary, row } from '../dashboard/format.js';
import { Tone } from '../dashboard/Tone.js';

const HEAD = ['WORKER', 'STATE', 'POOL', 'C', 'ACTIVE', 'PROCESSED', 'FAILED', 'RSS', 'HEARTBEAT'];
const RIGHT = new Set([3, 4, 5, 6, 7, 8]);
/** Every column but the first; HEARTBEAT fits "23h59m ago". */
const FIXED = [7, 7, 3, 6, 9, 6, 6, 10];
const FIXED_WIDTH = FIXED.reduce((a, b) => a + b, 0) + FIXED.length;

export interface WorkersTableProps {
  workers: readonly WorkerView[];
  /** Workers offline for long, counted in one line instead of listed. */
  longOffline: number;
  now: number;
  width: number;
  /** Rows for workers and the summary lines. */
  maxRows: number;
}

/** The workers that reported to this broker lately; offline ones dimmed, those offline for long folded into one line. */
export function WorkersTable({ workers, longOffline, now, width, maxRows }: WorkersTableProps) {
  const widths = [Math.max(12, width - FIXED_WIDTH), ...FIXED];
  const shown = workers.slice(0, Math.max(1, maxRows - (longOffline > 0 ? 1 : 0)));
  const online = workers.filter((w) => w.online).length;
  const count = `WORKERS ${online}/${workers.length}`;
  const title = `${count} online`.length <= widths[0]! ? `${count} online` : count;
  return (
    <Box flexDirection="column">
      <Tone bold>{row([title, ...HEAD.slice(1)], widths, RIGHT)}</Tone>
      {workers.length === 0 && longOffline === 0 ? <Tone dim>  (no worker has reported to this broker)</Tone> : null}
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
      {longOffline > 0 ? <Tone dim>{`  ${offlineSummary(longOffline)}`}</Tone> : null}
    </Box>
  );
}
