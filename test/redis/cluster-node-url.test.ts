import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';

/**
 * A redis:// URL that points at a node of a real Redis Cluster (3 masters,
 * 3 replicas started here): every command stops at once with one line that
 * says so (exit 4), never a raw MOVED or "non local key" ReplyError half-way.
 */
describe('a redis:// broker URL pointing at a Redis Cluster node', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3, 1);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const url = () => `redis://${cluster.addresses[0]}/0`;
  const expectRefusal = (result: { code: number | null; stdout: string; stderr: string }) => {
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/is a node of a Redis Cluster, and a redis:\/\/ broker URL is for one Redis server/);
    expect(result.stderr).not.toMatch(/ReplyError|MOVED|non local key|CROSSSLOT/);
    expect(result.stdout).toBe('');
  };

  it('`tq call`, `tq status` and `tq inspect queues` exit 4 with one line', async () => {
    expectRefusal(await runCli(['call', 'add', '1', '2', '--broker', url(), '--tasks', 'test/fixtures/e2e-tasks']));
    expectRefusal(await runCli(['status', '--broker', url()]));
    expectRefusal(await runCli(['inspect', 'queues', '--broker', url()]));
  });

  it('`tq worker` stops at start-up with exit 4', async () => {
    const worker = startCli(['worker', '--broker', url(), '--tasks', 'test/fixtures/e2e-tasks']);
    const code = await worker.exited;
    expectRefusal({ code, stdout: '', stderr: worker.output() });
  });
});
