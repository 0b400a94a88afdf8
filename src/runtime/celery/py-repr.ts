/**
 * Python-style reprs of JSON values, for Celery's `argsrepr` / `kwargsrepr`
 * headers and its event fields (`args`, `kwargs`, `result`), which Flower,
 * `celery events` and `celery inspect` print as they are. Display only: no
 * one parses them back. Cut to `max` characters with '...' as Celery's
 * saferepr does.
 */
export function pyRepr(value: unknown, max = 1024): string {
  return cut(repr(value, 0), max);
}

/** Arguments as the tuple Python prints: `(2, 3)`, `(7,)`, `()`. */
export function pyReprArgs(args: readonly unknown[], max = 1024): string {
  const inner = args.map((a) => repr(a, 1)).join(', ');
  return cut(args.length === 1 ? `(${inner},)` : `(${inner})`, max);
}

const MAX_DEPTH = 8;

function repr(v: unknown, depth: number): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (typeof v === 'string') return pyString(v);
  if (depth > MAX_DEPTH) return '...';
  if (Array.isArray(v)) return `[${v.map((x) => repr(x, depth + 1)).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyString(k)}: ${repr(x, depth + 1)}`).join(', ')}}`;
  }
  return pyString(String(v));
}

/** Single quotes unless the text holds one and no double quote, as Python chooses. */
function pyString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 3))}...`;
}
