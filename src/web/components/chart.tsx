import { clock } from '../format.js';

const W = 720;
const H = 120;
const PAD_TOP = 14;
const PAD_BOTTOM = 16;

export interface ChartProps {
  title: string;
  /** One or more series drawn as stacked bars, bottom first. */
  series: { label: string; values: number[]; className: string }[];
  bucketMs: number;
  lastStart: number;
  testId: string;
}

/**
 * Counts per time bucket as stacked bars in one SVG path per series (a few
 * elements, however many buckets). Hand-written: no chart library to ship.
 */
export function Chart({ title, series, bucketMs, lastStart, testId }: ChartProps) {
  const n = series[0]?.values.length ?? 0;
  const totals = Array.from({ length: n }, (_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bar = W / Math.max(1, n);
  const plot = H - PAD_TOP - PAD_BOTTOM;
  const base = new Array<number>(n).fill(0);
  const paths = series.map((s) => {
    let d = '';
    s.values.forEach((v, i) => {
      if (v <= 0) return;
      const h = (v / max) * plot;
      const y = H - PAD_BOTTOM - base[i]! - h;
      d += `M${(i * bar).toFixed(1)} ${y.toFixed(1)}h${Math.max(1, bar - 0.5).toFixed(1)}v${h.toFixed(1)}h${(-Math.max(1, bar - 0.5)).toFixed(1)}z`;
      base[i]! += h;
    });
    return { ...s, d };
  });
  const first = lastStart - (n - 1) * bucketMs;
  const total = totals.reduce((a, b) => a + b, 0);
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>
        {title} <span class="muted">· {total.toLocaleString('en-US')} in the last {Math.round((n * bucketMs) / 60_000)} min · per {bucketMs / 1000} s</span>
        {series.map((s) => (
          <span class={`legend ${s.className}`}>{s.label}</span>
        ))}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={title}>
        <line x1="0" x2={W} y1={H - PAD_BOTTOM} y2={H - PAD_BOTTOM} class="axis" />
        <line x1="0" x2={W} y1={PAD_TOP} y2={PAD_TOP} class="grid" />
        <text x="2" y={PAD_TOP - 3} class="tick">{max.toLocaleString('en-US')}</text>
        <text x="2" y={H - 3} class="tick">{n > 0 ? clock(first) : ''}</text>
        <text x={W / 2} y={H - 3} class="tick" text-anchor="middle">{n > 0 ? clock(first + (n / 2) * bucketMs) : ''}</text>
        <text x={W - 2} y={H - 3} class="tick" text-anchor="end">now</text>
        {paths.map((p) => (p.d ? <path d={p.d} class={p.className} /> : null))}
      </svg>
    </figure>
  );
}
