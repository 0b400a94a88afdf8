import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

export interface RedisCluster {
  /** Every node, masters first as `redis-cli --cluster create` assigned them (it may swap roles later, on failover). */
  nodes: RedisServer[];
  /** `host:port` of each node. */
  addresses: string[];
  stop(): Promise<void>;
}

/**
 * Starts a real Redis Cluster on loopback: `masters` × (1 + `replicas`)
 * redis-server processes on free ports, each in its own directory, joined
 * by `redis-cli --cluster create`, and waits until every node reports
 * cluster_state:ok. Stopped by pid, like any server these tests start.
 */
export async function startRedisCluster(masters = 3, replicas = 1): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      nodes.push(await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }));
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (created.error) throw new Error(`redis-cli is needed to create a Redis Cluster (apt-get install redis-tools): ${created.error.message}`);
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}\n${created.stderr}`);
    for (const node of nodes) {
      const client = new Redis(node.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await waitFor(async () => /cluster_state:ok/.test(await client.cluster('INFO')), `cluster_state:ok on ${node.port}`, 30_000, 100);
      } finally {
        client.disconnect();
      }
    }
    return { nodes, addresses, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
