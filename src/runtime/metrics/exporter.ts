import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TqError } from '../errors.js';
import type { TqMetrics } from './families.js';

/**
 * A minimal Prometheus exporter: GET /metrics and nothing else. It listens on
 * every interface, as exporters do, so a Prometheus on another machine can
 * scrape it; it serves only counts by task name and queue, never arguments,
 * results or ids.
 */
export async function serveMetrics(source: () => TqMetrics | undefined, port: number, host?: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves GET /metrics only\n');
      return;
    }
    const metrics = source();
    if (!metrics) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('starting\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new TqError('BAD_INPUT', `cannot serve metrics on port ${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`, { hint: 'pick another --metrics-port' })),
    );
    // No host: every interface, IPv6 and IPv4 where the machine has both.
    if (host) server.listen(port, host, () => resolve());
    else server.listen(port, () => resolve());
  });
  // The exporter never keeps the process alive by itself: an error later in start-up still ends it.
  server.unref();
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${bound}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
