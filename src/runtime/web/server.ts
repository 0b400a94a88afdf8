import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StoredEvent } from '../cluster.js';
import type { Client } from '../client.js';
import type { TqConfig } from '../config.js';
import { TqError } from '../errors.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import { eventTimes } from '../metrics/event-times.js';
import { TqMetrics } from '../metrics/families.js';
import { createWebApp } from './app.js';
import { checkBind, type AuthConfig } from './auth.js';
import { TaskHistory } from './history.js';
import { LiveHub } from './hub.js';
import { openWebData } from './queries.js';
import { loadAssets } from './static.js';

export interface WebServerOptions {
  client: Client;
  config: TqConfig;
  host: string;
  port: number;
  auth: AuthConfig;
  readOnly: boolean;
  version: string;
  /** Live updates per second per page, at most (default 4). */
  maxUpdatesPerSecond?: number;
  /** Where the built page is (default dist/web). */
  assetsDir?: string;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts `tq web`: follows the cluster (replaying the broker's event stream
 * from its oldest kept event, so charts and the task list survive a restart),
 * and serves the page, its API, the live stream and /metrics.
 */
export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  checkBind(o.host, o.auth);
  const history = new TaskHistory();
  let sink: (batch: readonly StoredEvent[]) => void = (batch) => history.add(batch);
  const data = await openWebData(o.client, o.config, { onEvents: (batch) => sink(batch) });
  const metrics = new TqMetrics({
    taskNames: data.taskNames(),
    processMetrics: true,
    gauges: {
      queues: () => data.monitor.state.queues,
      workersOnline: () => data.monitor.state.workers.filter((w) => w.online).length,
    },
  });
  const eventMetrics = new EventMetrics(metrics);
  const hub = new LiveHub({ state: () => data.monitor.state, series: () => history.snapshot(), maxPerSecond: o.maxUpdatesPerSecond });
  sink = (batch) => {
    const times = eventTimes(batch);
    history.add(batch, Date.now(), times);
    eventMetrics.add(batch, times);
    hub.noteEvents(times);
  };
  data.monitor.subscribe(() => hub.changed());
  await data.start();
  hub.start();
  const app = createWebApp({ data, hub, metrics, auth: o.auth, readOnly: o.readOnly, version: o.version, assets: loadAssets(o.assetsDir), series: () => history.snapshot() });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  try {
    await listen(server, o.port, o.host);
  } catch (err) {
    hub.stop();
    await data.stop();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    async close() {
      hub.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await data.stop();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? `port ${port} is in use` : err.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine` : err.message;
      reject(new TqError('BAD_INPUT', `cannot serve tq web on ${host}:${port}: ${why}`, { hint: 'pick another --port or --host' }));
    });
    server.listen(port, host, () => resolve());
  });
}
