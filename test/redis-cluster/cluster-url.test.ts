import { describe, expect, it } from 'vitest';
import { maskUrl } from '../../src/runtime/config.js';
import { isClusterUrl, parseClusterUrl } from '../../src/runtime/brokers/redis/cluster/cluster-url.js';
import { keySlot } from '../../src/runtime/brokers/redis/cluster/key-slot.js';
import { TqError } from '../../src/runtime/errors.js';

describe('redis+cluster:// URLs', () => {
  it('reads seed nodes, credentials and TLS', () => {
    expect(isClusterUrl('redis+cluster://a:1')).toBe(true);
    expect(isClusterUrl('REDISS+CLUSTER://a:1')).toBe(true);
    expect(isClusterUrl('redis://a:1/0')).toBe(false);
    expect(parseClusterUrl('redis+cluster://u:p%40ss@h1:7000,h2:7001,[::1]:7002/?x=1')).toEqual({
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: 'u',
      password: 'p@ss',
      tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://:secret@h1')).toEqual({ nodes: [{ host: 'h1', port: 6379 }], password: 'secret', tls: true });
    expect(parseClusterUrl('redis+cluster://h1:7000/0').nodes).toHaveLength(1);
  });

  const refusal = (url: string) => {
    try {
      parseClusterUrl(url);
    } catch (err) {
      expect(err).toBeInstanceOf(TqError);
      expect((err as TqError).code).toBe('CONFIG');
      expect((err as TqError).message).not.toContain('hunter2');
      return (err as TqError).message;
    }
    throw new Error(`${url} was accepted`);
  };

  it('refuses malformed URLs with one clear line, password masked', () => {
    expect(refusal('redis+cluster://u:hunter2@/')).toMatch(/names no node/);
    expect(refusal('redis+cluster://u:hunter2@h1:70000')).toMatch(/'70000' \(node h1\) is not a port number/);
    expect(refusal('redis+cluster://h1:x')).toMatch(/'x' \(node h1\) is not a port/);
    expect(refusal('redis+cluster://u:hunter2@h1:7000,h2:7001/3')).toMatch(/only database 0, so '\/3' cannot be used/);
    expect(refusal('redis://h1:7000')).toMatch(/not a redis\+cluster:\/\//);
  });

  it('masks the password for display', () => {
    expect(maskUrl('redis+cluster://u:hunter2@h1:1,h2:2')).toBe('redis+cluster://u:***@h1:1,h2:2');
    expect(maskUrl('rediss+cluster://hunter2@h1:1')).toBe('rediss+cluster://***@h1:1');
    expect(maskUrl('redis+cluster://h1:1,h2:2')).toBe('redis+cluster://h1:1,h2:2');
  });

  it('computes key slots as Redis does, hash tags included', () => {
    // Values from CLUSTER KEYSLOT (Redis 7.0); the cluster tests also compare with a live server.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('tq:{default}:marker')).toBe(keySlot('default'));
    expect(keySlot('a{}b')).toBe(keySlot('a{}b')); // an empty tag: the whole key counts
    expect(keySlot('a{}b')).not.toBe(keySlot(''));
  });
});

describe('a redis+cluster:// broker URL today', () => {
  it('is refused with one clear line, and a malformed one with its own reason', async () => {
    const { openBroker } = await import('../../src/runtime/brokers/index.js');
    const open = (url: string) => openBroker({ url, projectRoot: process.cwd(), resultExpiresMs: 60_000 });
    await expect(open('redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001')).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringMatching(/cannot use the Redis Cluster at 'redis\+cluster:\/\/:\*\*\*@127\.0\.0\.1:7000,127\.0\.0\.1:7001' yet/),
    });
    await expect(open('redis+cluster://127.0.0.1:7000/3')).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/only database 0/) });
  });
});
