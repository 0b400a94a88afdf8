import { describe, expect, it } from 'vitest';
import { BODY_PREVIEW_CHARS, bodyPreview } from '../../src/runtime/brokers/broker.js';

describe('bodyPreview', () => {
  it('shows a short body whole', () => {
    const body = 'é'.repeat(BODY_PREVIEW_CHARS);
    expect(bodyPreview(body)).toBe(body);
  });

  it('shows the first characters of a long body and counts the bytes it leaves out', () => {
    const body = 'é'.repeat(BODY_PREVIEW_CHARS + 10);
    expect(bodyPreview(body)).toBe(`${'é'.repeat(BODY_PREVIEW_CHARS)}… (20 more bytes)`);
  });

  it('never ends on half of a two-unit character', () => {
    const body = `${'a'.repeat(BODY_PREVIEW_CHARS - 1)}😀${'b'.repeat(10)}`;
    expect(bodyPreview(body)).toBe(`${'a'.repeat(BODY_PREVIEW_CHARS - 1)}… (14 more bytes)`);
  });

  it('counts from the whole size when it has only the first bytes of the body', () => {
    const head = 'x'.repeat(4_000);
    expect(bodyPreview(head, 1_000_000)).toBe(`${'x'.repeat(BODY_PREVIEW_CHARS)}… (${1_000_000 - BODY_PREVIEW_CHARS} more bytes)`);
  });
});
