import parse from 'parse-prometheus-text-format';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
}

/**
 * Reads a Prometheus text exposition with parse-prometheus-text-format. That
 * parser folds every labelled series of a histogram into one; so the families
 * and their types come from one parse, and the samples from a second parse of
 * the same text without its TYPE lines, where each _bucket, _sum and _count
 * series is read as its own sample with all its labels.
 */
export function readExposition(text: string): { families: Map<string, Family>; samples(name: string): Sample[] } {
  type Parsed = { name: string; type: string; help: string; metrics: { labels?: Record<string, string>; value?: string }[] };
  const families = new Map((parse(text) as Parsed[]).map((f) => [f.name, { name: f.name, type: f.type, help: f.help }]));
  const untyped = parse(text.split('\n').filter((line) => !line.startsWith('# TYPE ')).join('\n')) as Parsed[];
  const byName = new Map<string, Sample[]>();
  for (const f of untyped) byName.set(f.name, [...(byName.get(f.name) ?? []), ...f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }))]);
  return { families, samples: (name) => byName.get(name) ?? [] };
}
