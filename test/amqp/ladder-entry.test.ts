import { describe, expect, it } from 'vitest';
import { ladderEntry, ladderPatterns, LADDER_TOP, MAX_LADDER_DELAY_MS } from '../../src/runtime/brokers/amqp/topology.js';

/** Where a delayed message enters the delay ladder, and that the routing key then holds it for its delay. */
describe('amqp delay ladder: entry', () => {
  /** The levels whose queue takes the message (bit 1) as it walks down from `level`, by the bindings' own patterns. */
  function queuedLevels(level: number, routingKey: string): number[] {
    const words = routingKey.split('.');
    const taken: number[] = [];
    for (let l = level; l >= 0; l--) {
      const { toQueue } = ladderPatterns(l);
      const bitWord = toQueue.split('.').length - 2; // the word before the trailing '#'
      if (words[bitWord] === '1') taken.push(l);
    }
    return taken;
  }

  it.each([1, 2, 3, 1_000, 2_000, 4_096, 19_999, 3_600_000, MAX_LADDER_DELAY_MS])('enters a %i ms delay at its highest set bit and waits exactly that long', (delay) => {
    const { level, routingKey } = ladderEntry(delay, 'tq.q.p0');
    expect(2 ** level).toBeLessThanOrEqual(delay);
    expect(2 ** (level + 1)).toBeGreaterThan(delay);
    const levels = queuedLevels(level, routingKey);
    expect(levels[0]).toBe(level); // the entry exchange routes it into its own queue, not onward
    expect(levels.reduce((sum, l) => sum + 2 ** l, 0)).toBe(delay);
    // Nothing above the entry level: entering there skips only exchanges that would pass it on.
    expect(queuedLevels(LADDER_TOP, routingKey)).toEqual(levels);
    expect(routingKey.endsWith('.tq.q.p0')).toBe(true);
  });

  it('rounds a fractional delay up and holds a longer one for one trip of the whole ladder', () => {
    expect(ladderEntry(0.2, 'b').level).toBe(0);
    expect(ladderEntry(2.5, 'b')).toEqual(ladderEntry(3, 'b'));
    expect(ladderEntry(MAX_LADDER_DELAY_MS * 4, 'b')).toEqual(ladderEntry(MAX_LADDER_DELAY_MS, 'b'));
    expect(ladderEntry(MAX_LADDER_DELAY_MS, 'b').level).toBe(LADDER_TOP);
  });
});
