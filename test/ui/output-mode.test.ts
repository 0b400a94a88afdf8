import { describe, expect, it } from 'vitest';
import { wantsDashboard } from '../../src/ui/dashboard/output-mode.js';

describe('choosing the worker output', () => {
  it('shows the dashboard on a terminal by default', () => {
    expect(wantsDashboard({ tui: undefined, json: false, isTTY: true, ci: false })).toBe(true);
  });
  it('prints plain lines with --no-tui, --json, off a terminal, or under CI', () => {
    expect(wantsDashboard({ tui: false, json: false, isTTY: true, ci: false })).toBe(false);
    expect(wantsDashboard({ tui: undefined, json: true, isTTY: true, ci: false })).toBe(false);
    expect(wantsDashboard({ tui: true, json: false, isTTY: false, ci: false })).toBe(false);
    expect(wantsDashboard({ tui: undefined, json: false, isTTY: true, ci: true })).toBe(false);
  });
  it('lets --tui win over CI on a terminal', () => {
    expect(wantsDashboard({ tui: true, json: false, isTTY: true, ci: true })).toBe(true);
  });
});
