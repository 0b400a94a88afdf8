import { render, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { LogLevel } from '../../runtime/config.js';
import { WorkerActivity, type ActivitySnapshot, type LogItem } from '../../runtime/monitor/worker-activity.js';
import type { Worker } from '../../runtime/worker/worker.js';
import type { DashboardInfo } from './Header.js';
import { ColorContext } from './Tone.js';
import { WorkerDashboard } from './WorkerDashboard.js';

export type { DashboardInfo } from './Header.js';

/** Redraws at most this often (10 per second). */
export const FRAME_MS = 100;
/** Static items kept before `<Static>` is started over with a fresh array (bounded memory). */
const LOG_GENERATION_SIZE = 500;

export interface WorkerDashboardOptions {
  worker: Worker;
  info: DashboardInfo;
  color: boolean;
  stdout?: NodeJS.WriteStream;
}

export interface WorkerDashboardHandle {
  /** A log line for the dashboard (the worker's logger writes here while it runs). */
  log(line: string, level: LogLevel): void;
  /** Draws the last frame, leaves it on screen, and stops drawing. */
  stop(): Promise<void>;
}

/** Shows the live worker dashboard on the terminal until `stop()`. */
export function startWorkerDashboard(options: WorkerDashboardOptions): WorkerDashboardHandle {
  const activity = new WorkerActivity(options.worker);
  const ticker: { tick?: () => void } = {};
  const app = render(
    <ColorContext.Provider value={options.color}>
      <LiveDashboard activity={activity} info={options.info} ticker={ticker} />
    </ColorContext.Provider>,
    { stdout: options.stdout ?? process.stdout, maxFps: 1000 / FRAME_MS, exitOnCtrlC: false, patchConsole: true },
  );
  return {
    log: (line, level) => activity.addLine(line, level),
    stop: async () => {
      ticker.tick?.();
      await new Promise((resolve) => setTimeout(resolve, FRAME_MS));
      app.unmount();
      await app.waitUntilExit().catch(() => undefined);
      activity.close();
    },
  };
}

interface Frame {
  snapshot: ActivitySnapshot;
  log: LogItem[];
  generation: number;
  now: number;
}

/** Pulls a snapshot every FRAME_MS and redraws when something changed (or once a second, for the clocks). */
function LiveDashboard({ activity, info, ticker }: { activity: WorkerActivity; info: DashboardInfo; ticker: { tick?: () => void } }) {
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [frame, setFrame] = useState<Frame>(() => ({ snapshot: activity.snapshot(), log: [], generation: 0, now: Date.now() }));
  const last = useRef({ drawnAt: 0, key: '' });

  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);

  useEffect(() => {
    const tick = () => {
      const snapshot = activity.snapshot();
      const now = Date.now();
      const c = snapshot.counters;
      const key = `${c.received}/${c.succeeded}/${c.failed}/${c.retried}/${snapshot.reserved}/${snapshot.running.length}/${snapshot.errors.length}`;
      const busy = snapshot.running.length > 0 || snapshot.newLog.length > 0 || key !== last.current.key;
      if (!busy && now - last.current.drawnAt < 1000) return;
      last.current = { drawnAt: now, key };
      setFrame((prev) => {
        if (snapshot.newLog.length === 0) return { ...prev, snapshot, now };
        if (prev.log.length + snapshot.newLog.length > LOG_GENERATION_SIZE) return { snapshot, now, log: snapshot.newLog, generation: prev.generation + 1 };
        return { snapshot, now, log: [...prev.log, ...snapshot.newLog], generation: prev.generation };
      });
    };
    ticker.tick = tick;
    const timer = setInterval(tick, FRAME_MS);
    return () => clearInterval(timer);
  }, [activity, ticker]);

  return (
    <WorkerDashboard
      info={info}
      snapshot={frame.snapshot}
      log={frame.log}
      logGeneration={frame.generation}
      now={frame.now}
      columns={size.columns}
      rows={size.rows}
    />
  );
}
