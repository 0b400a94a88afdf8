import { createContext, useContext, type ReactNode } from 'react';
import { Text } from 'ink';

/** Whether colours are on (a TTY and no NO_COLOR); decided by the command, read by every component. */
export const ColorContext = createContext(true);

export const STATE_COLORS: Record<string, string> = {
  SUCCESS: 'green', FAILURE: 'red', RETRY: 'yellow', REVOKED: 'magenta', REJECTED: 'red',
  STARTED: 'cyan', RECEIVED: 'blue', PENDING: 'gray',
};

export interface ToneProps {
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  children?: ReactNode;
}

/** Text in a colour, or plain when colours are off; bold, dim and inverse are kept (they carry no colour). */
export function Tone({ color, bold, dim, inverse, children }: ToneProps) {
  const enabled = useContext(ColorContext);
  return (
    <Text color={enabled ? color : undefined} bold={bold} dimColor={enabled && dim} inverse={inverse} wrap="truncate-end">
      {children}
    </Text>
  );
}

/** A task state in its colour. */
export function StateText({ state, width }: { state: string; width?: number }) {
  return <Tone color={STATE_COLORS[state]}>{width ? state.padEnd(width) : state}</Tone>;
}
