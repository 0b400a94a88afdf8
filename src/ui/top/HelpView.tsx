import { Box, Text } from 'ink';
import { Tone } from '../dashboard/Tone.js';

const KEYS: [string, string][] = [
  ['↑/↓ j/k', 'move the selection'],
  ['tab', 'switch between the task list and the queues'],
  ['enter', 'details of the selected task (esc: back)'],
  ['/', 'filter tasks by id, name, state, worker or queue (esc: clear)'],
  ['r', 'revoke the selected task (a running one finishes; queued ones never run)'],
  ['t', 'terminate: revoke and end the running task'],
  ['R', 'retry: send a failed or revoked task again, same name and arguments'],
  ['p', 'purge the selected queue (waiting messages only)'],
  ['?', 'this help'],
  ['q', 'quit'],
];

/** What each key does; every action asks y/n first. */
export function HelpView() {
  return (
    <Box flexDirection="column">
      <Tone bold>tq top: keys</Tone>
      {KEYS.map(([key, what]) => (
        <Text key={key} wrap="truncate-end">
          {'  '}
          <Tone bold color="cyan">{key.padEnd(10)}</Tone>
          {what}
        </Text>
      ))}
      <Tone dim>Every action asks for confirmation (y/n). Press any key to go back.</Tone>
    </Box>
  );
}
