import { Static, Text } from 'ink';
import type { LogItem } from '../../runtime/monitor/worker-activity.js';
import { stripSgr } from '../../runtime/safe-text.js';
import { duration, fit } from './format.js';
import { STATE_COLORS, Tone } from './Tone.js';

/**
 * Finished tasks and log lines, printed once above the live region (Ink's
 * `<Static>`): the terminal keeps them in its scrollback, nothing redraws them.
 */
export function FinishedLog({ items, width }: { items: readonly LogItem[]; width: number }) {
  return <Static items={[...items]}>{(item) => <LogLine key={item.seq} item={item} width={width} />}</Static>;
}

const LEVEL_COLORS: Record<string, string | undefined> = { warn: 'yellow', error: 'red' };

export function LogLine({ item, width }: { item: LogItem; width: number }) {
  if (item.kind === 'skipped') return <Tone dim>{`  … ${item.count} more finished (not listed: too fast to print)`}</Tone>;
  // A log line comes formatted by the logger, with its colours when they are on: they are
  // dropped and the line shown in its level's colour, everything else neutralised by fit().
  if (item.kind === 'line') return <Tone color={LEVEL_COLORS[item.level]}>{fit(stripSgr(item.text), width)}</Tone>;
  const head = `${item.state.padEnd(8)} ${fit(item.name, 40)}[${fit(item.id.slice(0, 8), 8)}]`;
  const time = item.runtimeMs === undefined ? '' : ` ${duration(item.runtimeMs)}`;
  return (
    <Text wrap="truncate-end">
      <Tone color={STATE_COLORS[item.state]}>{head}</Tone>
      <Tone dim>{time}</Tone>
      <Text> {fit(item.detail, Math.max(10, width - head.length - time.length - 2))}</Text>
    </Text>
  );
}
