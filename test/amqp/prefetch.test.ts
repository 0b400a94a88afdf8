import { describe, expect, it } from 'vitest';
import { PrefetchWindow } from '../../src/runtime/brokers/amqp/prefetch.js';

/** The prefetch a worker's consumers run with, from what its reserves ask (times given, not waited for). */
describe('amqp prefetch: what the worker holds', () => {
  it('starts at the window and grows at once to what the worker would hold (its look-ahead)', () => {
    const p = new PrefetchWindow();
    expect(p.next(50, 50, 0)).toBe(50);
    expect(p.next(50, 100, 10)).toBe(100);
    // A dip while acks are in flight changes nothing.
    expect(p.next(50, 70, 20)).toBe(100);
    expect(p.next(50, 100, 1_500)).toBe(100);
    expect(p.next(50, 60, 1_600)).toBe(100);
  });

  it('shrinks only after the highest demand of a whole period was lower', () => {
    const p = new PrefetchWindow();
    p.next(50, 100, 0);
    expect(p.next(50, 50, 1_000)).toBe(100); // the previous period still held 100
    expect(p.next(50, 50, 1_900)).toBe(100);
    expect(p.next(50, 50, 2_000)).toBe(50); // both periods at most 50: the look-ahead is off
  });

  it('starts over from a new window (the pool grew or shrank)', () => {
    const p = new PrefetchWindow();
    p.next(50, 100, 0);
    expect(p.next(10, 10, 5)).toBe(10);
    expect(p.next(10, 20, 10)).toBe(20);
  });
});
