import { describe, expect, it } from 'vitest';
import { addAt, emptyWindow, perSecond, series } from '../../src/runtime/monitor/rate-window.js';

describe('rate window', () => {
  const t0 = 1_000_000_000_000;

  it('counts per second and averages over complete seconds only', () => {
    let w = emptyWindow(t0, 60);
    for (let s = 0; s < 5; s++) w = addAt(w, t0 + s * 1000, 10);
    w = addAt(w, t0 + 5000, 99); // the current, partial second is left out of the rate
    expect(perSecond(w, t0 + 5500, 5)).toBe(10);
    expect(series(w, t0 + 5500).slice(-6)).toEqual([10, 10, 10, 10, 10, 99]);
  });

  it('forgets seconds that slid out of the window, and ignores counts older than it', () => {
    let w = addAt(emptyWindow(t0, 10), t0, 7);
    w = addAt(w, t0 - 60_000, 5);
    expect(series(w, t0).reduce((a, b) => a + b)).toBe(7);
    expect(series(w, t0 + 11_000).every((n) => n === 0)).toBe(true);
  });
});
