import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can go silent: `freeze()` stops passing bytes on
 * the connections open now (as a half-dead socket after a network blip does),
 * while connections opened later work normally.
 */
export interface TcpProxy {
  port: number;
  freeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on('data', (d) => pair.frozen || upstream.write(d));
    upstream.on('data', (d) => pair.frozen || client.write(d));
    const end = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => open.forEach((pair) => (pair.frozen = true)),
    close: () => {
      open.forEach((pair) => (pair.client.destroy(), pair.upstream.destroy()));
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
