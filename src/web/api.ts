import type { WireActionResult, WireSession } from '../runtime/web/wire.js';

/**
 * How the page talks to its server. With --token the page keeps the token in
 * sessionStorage (given once in a form, or as #token=… in the URL, which is
 * never sent to a server) and sends it on every request; with --auth the
 * browser sends the Basic credentials it asked for itself.
 */
const TOKEN_KEY = 'tq-web-token';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function takeTokenFromUrl(): void {
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (!m) return;
  setToken(decodeURIComponent(m[1]!));
  history.replaceState(null, '', `${location.pathname}#/`);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function authHeaders(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: authHeaders(), credentials: 'same-origin' });
  if (!res.ok) throw new HttpError(res.status, await messageOf(res));
  return (await res.json()) as T;
}

let session: WireSession | null = null;

export async function loadSession(): Promise<WireSession> {
  session = await getJson<WireSession>('/api/session');
  return session;
}

/** Runs one action; the CSRF token of this page's session goes in a header the server checks. */
export async function act(name: string, body: Record<string, unknown>): Promise<WireActionResult> {
  const res = await fetch(`/api/actions/${name}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...authHeaders(), 'Content-Type': 'application/json', 'X-TQ-CSRF': session?.csrf ?? '' },
    body: JSON.stringify(body),
  });
  const result = (await res.json().catch(() => ({ ok: false, message: `HTTP ${res.status}` }))) as WireActionResult;
  return res.ok ? result : { ok: false, message: result.message || `HTTP ${res.status}` };
}

async function messageOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    return (JSON.parse(text) as { message?: string }).message ?? `HTTP ${res.status}`;
  } catch {
    return text.trim() || `HTTP ${res.status}`;
  }
}
