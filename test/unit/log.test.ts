import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOG_LINE } from '../../src/runtime/log.js';
import { HOSTILE, TERMINAL_CONTROL as CONTROL } from '../support/hostile.js';

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: { line: string; level: string }[] = [];
  const log = createLogger({ ...options, write: (line, level) => lines.push({ line, level }) });
  return { log, lines, text: () => lines.map((l) => l.line) };
}

describe('the logger', () => {
  it('writes text lines with control characters from messages made visible, and one message on one line', () => {
    const { log, text } = capture({ name: 'worker' });
    log.info(`Task x failed: ${HOSTILE}\n[2026-01-01 00:00:00,000: INFO/worker] forged`);
    expect(text()).toHaveLength(1);
    expect(text()[0]).toMatch(/^\[\d{4}-\d\d-\d\d [\d:]+,\d{3}: INFO\/worker\] Task x failed: A\\x1b\]0;pwned\\x07B\\x1b\[2JC\\x9b31mD\\n\[2026/);
    expect(text()[0]).not.toMatch(CONTROL);
  });

  it('keeps its own colour on the level tag, and only there', () => {
    const { log, text } = capture({ name: 'worker', color: true });
    log.warn(HOSTILE);
    expect(text()[0]).toContain('\x1b[33mWARN/worker\x1b[0m] A\\x1b]0;');
  });

  it('writes JSON lines whose message is exact, with fields of their own, and no raw C1 byte', () => {
    const { log, text } = capture({ name: 'worker', json: true });
    log.error(`boom ${HOSTILE}`, { taskId: 't-1', task: 'add', state: 'FAILURE', runtimeMs: 12, skipped: undefined, level: 'overridden?' });
    expect(text()[0]).not.toMatch(/[\x7f-\x9f]/);
    const entry = JSON.parse(text()[0]!);
    expect(entry).toEqual({ time: expect.any(String), level: 'error', name: 'worker', message: `boom ${HOSTILE}`, taskId: 't-1', task: 'add', state: 'FAILURE', runtimeMs: 12 });
  });

  it('bounds a huge message and says how much it left out', () => {
    const { log, text } = capture();
    log.info('x'.repeat(100_000));
    expect(text()[0]!.length).toBeLessThan(MAX_LOG_LINE + 100);
    expect(text()[0]).toMatch(/… \(\d+ more chars\)$/);
  });

  describe('raw lines from an executor', () => {
    const childLine = (level: string, message: string) =>
      createLogger({ name: 'worker', json: true, write: (line) => lines.push(line) }).child('send_mail')[level as 'info'](message);
    let lines: string[] = [];

    it('writes an executor\'s JSON log line again as a text line, neutralised, in its level', () => {
      lines = [];
      childLine('warn', HOSTILE);
      const { log, lines: out } = capture({ name: 'worker' });
      log.raw(lines[0]!, 'info');
      expect(out[0]!.level).toBe('warn');
      expect(out[0]!.line).toMatch(/^\[[^\]]+: WARN\/worker\.send_mail\] A\\x1b\]0;pwned/);
    });

    it('passes it through exactly with --json', () => {
      lines = [];
      childLine('info', HOSTILE);
      const { log, text } = capture({ name: 'worker', json: true });
      log.raw(lines[0]!, 'info');
      expect(JSON.parse(text()[0]!)).toMatchObject({ level: 'info', name: 'worker.send_mail', message: HOSTILE });
    });

    it('neutralises any other line (a task\'s console.log), dropping its colours; with --json it becomes a message', () => {
      const { log, text } = capture({ name: 'worker' });
      log.raw(`\x1b[31mred\x1b[0m ${HOSTILE}`, 'info');
      expect(text()[0]).toBe('red A\\x1b]0;pwned\\x07B\\x1b[2JC\\x9b31mD');
      const json = capture({ name: 'worker', json: true });
      json.log.raw(`plain ${HOSTILE}`, 'warn');
      expect(JSON.parse(json.text()[0]!)).toMatchObject({ level: 'warn', name: 'worker', message: `plain ${HOSTILE}` });
    });
  });
});
