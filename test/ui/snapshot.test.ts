import { describe, expect, it } from 'vitest';
import { applyEvents, applyHeartbeats, applyStats, emptyCluster } from '../../src/runtime/monitor/cluster-state.js';
import { renderClusterSnapshot } from '../../src/ui/top/snapshot.js';
import { HOSTILE, HOSTILE_SHOWN, TERMINAL_CONTROL } from '../support/hostile.js';
import { event, heartbeat, lifecycle, stats, T0 } from './fixtures.js';

describe('tq top --once', () => {
  it('lists recent workers with a whole HEARTBEAT column and folds the long-offline ones into one line', () => {
    const old = (name: string, agoMs: number) => heartbeat(name, { sentAt: new Date(T0 - agoMs).toISOString() });
    let s = applyHeartbeats(emptyCluster(T0), [heartbeat('w1@box'), old('w2@box', 4 * 60_000 + 59_000), old('w3@gone', 600_000), old('w4@gone', 20 * 3600_000)], T0);
    s = applyStats(s, [stats('default')], T0);
    const text = renderClusterSnapshot(applyEvents(s, lifecycle('aaaaaaaa-1', T0 - 5000, 'task-succeeded'), T0), T0);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^WORKER\s+STATE\s+POOL\s+C\s+ACTIVE\s+PROCESSED\s+FAILED\s+RSS\s+HEARTBEAT$/);
    expect(lines[1]).toMatch(/^w1@box\s+online\s+async\s+10\s+1\s+41\s+2\s+90M\s+1\.0s ago$/);
    expect(lines[2]).toMatch(/^w2@box\s+offline.*\s4m59s ago$/);
    expect(lines[3]).toBe('+ 2 offline for over 5 min');
    expect(text).not.toContain('@gone');
    // Right-aligned numbers: the HEARTBEAT column ends where its heading ends.
    expect(lines[1]!.length).toBe(lines[0]!.length);
  });

  it('shows names, ids and hostnames from events and heartbeats with their control characters made visible', () => {
    let s = applyHeartbeats(emptyCluster(T0), [heartbeat(`w${HOSTILE}`, { queues: [`q${HOSTILE}`] })], T0);
    s = applyStats(s, [], T0);
    s = applyEvents(s, [event('task-sent', `id${HOSTILE}`, T0 - 1000, { task: `t${HOSTILE}`, hostname: `w${HOSTILE}` })], T0);
    const text = renderClusterSnapshot(s, T0);
    expect(text).not.toMatch(TERMINAL_CONTROL);
    expect(text).toContain(`t${HOSTILE_SHOWN.slice(0, 20)}`);
    expect(text).toContain(`w${HOSTILE_SHOWN.slice(0, 20)}`);
  });
});
