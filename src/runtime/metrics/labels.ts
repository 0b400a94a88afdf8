/** Distinct values one label takes at most; later ones are folded into OTHER. */
export const MAX_LABEL_VALUES = 200;
export const OTHER = 'other';
export const UNKNOWN = 'unknown';

/**
 * Keeps a label's cardinality bounded. Values known up front (the registered
 * task names) always pass; others pass first come, first served, until
 * `max` distinct values are in use, and fold into 'other' after that. A task
 * id never becomes a label: only names and queues go through here.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max = MAX_LABEL_VALUES,
    known: Iterable<string> = [],
  ) {
    for (const value of known) if (this.seen.size < max) this.seen.add(value);
  }

  value(raw: string | null | undefined): string {
    if (!raw) return UNKNOWN;
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(raw);
    return raw;
  }
}
