import { render, useStdout } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { MonitorActions } from '../../runtime/monitor/actions.js';
import type { ClusterMonitor } from '../../runtime/monitor/cluster-monitor.js';
import { ColorContext } from '../dashboard/Tone.js';
import { TopApp } from './TopApp.js';

export interface RunTopOptions {
  monitor: ClusterMonitor;
  actions: MonitorActions;
  broker: string;
  color: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

/**
 * Runs `tq top` full screen (the terminal's alternate screen) until `q`, then
 * restores the screen as it was. Redraws at most 10 times a second.
 */
export async function runTop(options: RunTopOptions): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  stdout.write(ENTER_ALT_SCREEN);
  const restore = () => stdout.write(LEAVE_ALT_SCREEN);
  process.once('exit', restore);
  try {
    const app = render(
      <ColorContext.Provider value={options.color}>
        <LiveTop {...options} />
      </ColorContext.Provider>,
      { stdout, stdin: options.stdin ?? process.stdin, maxFps: 10, exitOnCtrlC: true, patchConsole: true },
    );
    await app.waitUntilExit();
  } finally {
    process.off('exit', restore);
    restore();
  }
}

function LiveTop({ monitor, actions, broker }: RunTopOptions) {
  const { stdout } = useStdout();
  const [state, setState] = useState(monitor.state);
  const [now, setNow] = useState(Date.now());
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  useEffect(() => monitor.subscribe((next) => (setState(next), setNow(Date.now()))), [monitor]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => (clearInterval(timer), void stdout.off('resize', onResize));
  }, [stdout]);
  const fetchTask = useCallback((id: string) => monitor.refreshTask(id), [monitor]);
  return <TopApp state={state} actions={actions} fetchTask={fetchTask} broker={broker} now={now} columns={size.columns} rows={size.rows} />;
}
