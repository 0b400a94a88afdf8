import { Text } from 'ink';
import { Tone } from '../dashboard/Tone.js';

export type KeyLineMode = 'list' | 'detail' | 'filter' | 'help' | 'confirm';

/** Most important first; `?` and `q` are always shown. */
const HINTS: Record<KeyLineMode, [string, string][]> = {
  list: [['q', 'quit'], ['?', 'help'], ['↑↓', 'select'], ['⏎', 'details'], ['/', 'filter'], ['r', 'revoke'], ['t', 'terminate'], ['R', 'retry'], ['p', 'purge'], ['tab', 'tasks/queues']],
  detail: [['q', 'quit'], ['?', 'help'], ['esc', 'back'], ['r', 'revoke'], ['t', 'terminate'], ['R', 'retry']],
  filter: [['⏎', 'apply'], ['esc', 'clear']],
  help: [['any key', 'back']],
  confirm: [['y', 'yes'], ['n', 'no']],
};

/** The key line at the bottom: what the keys do in the current view, as many as fit, in a stable order. */
export function KeyLine({ mode, width }: { mode: KeyLineMode; width: number }) {
  let used = 0;
  const fitting = HINTS[mode].filter(([key, what]) => {
    const size = key.length + what.length + 4;
    if (used + size > width) return false;
    used += size;
    return true;
  });
  const order = HINTS[mode].slice(2).concat(HINTS[mode].slice(0, 2));
  const shown = mode === 'list' || mode === 'detail' ? order.filter((h) => fitting.includes(h)) : fitting;
  return (
    <Text wrap="truncate-end">
      {shown.map(([key, what]) => (
        <Text key={key}>
          <Tone inverse bold>{` ${key} `}</Tone>
          {` ${what} `}
        </Text>
      ))}
    </Text>
  );
}
