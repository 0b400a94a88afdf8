import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { TqError } from '../errors.js';
import type { WireAuth } from './wire.js';

/**
 * Who may use `tq web`. Without auth the page is view-only and reachable from
 * this machine only; with HTTP Basic auth or a bearer token every request
 * (the page, its API, the live stream, /metrics) needs the secret, and
 * actions also need the CSRF token of a session (see CsrfGuard).
 */
export type AuthConfig = { mode: 'none' } | { mode: 'basic'; user: string; password: string } | { mode: 'token'; token: string };

export function parseAuth(auth: string | undefined, token: string | undefined): AuthConfig {
  if (auth !== undefined && token !== undefined) throw new TqError('BAD_INPUT', 'give --auth or --token, not both');
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    if (colon <= 0 || colon === auth.length - 1) throw new TqError('BAD_INPUT', "--auth takes 'user:password'", { hint: 'e.g. --auth admin:s3cret' });
    return { mode: 'basic', user: auth.slice(0, colon), password: auth.slice(colon + 1) };
  }
  if (token !== undefined) {
    if (token.length < 8) throw new TqError('BAD_INPUT', '--token must be at least 8 characters', { hint: 'e.g. --token "$(openssl rand -hex 16)"' });
    return { mode: 'token', token };
  }
  return { mode: 'none' };
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '::ffff:127.0.0.1';
}

/** Refuses to serve beyond this machine without a secret: anyone on the network could watch the cluster. */
export function checkBind(host: string, auth: AuthConfig): void {
  if (auth.mode === 'none' && !isLoopback(host)) {
    throw new TqError('BAD_INPUT', `refusing to serve tq web on ${host} without authentication: anyone who reaches it could watch (and with actions, change) the cluster`, {
      hint: 'add --auth user:password or --token TOKEN, or bind to 127.0.0.1 (the default)',
    });
  }
}

/** Checks the Authorization header; constant-time in the secret. */
export function authorized(auth: AuthConfig, header: string | undefined): boolean {
  if (auth.mode === 'none') return true;
  if (!header) return false;
  const [, scheme = '', value = ''] = /^(\S+)\s+(.*)$/.exec(header.trim()) ?? [];
  if (auth.mode === 'token') return scheme.toLowerCase() === 'bearer' && same(value.trim(), auth.token);
  if (scheme.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // Both parts are compared, whatever the first gives, so the time taken tells nothing.
  const userOk = same(decoded.slice(0, Math.max(0, colon)), auth.user);
  const passwordOk = same(decoded.slice(colon + 1), auth.password);
  return colon > 0 && userOk && passwordOk;
}

export function challenge(auth: AuthConfig): string | undefined {
  if (auth.mode === 'basic') return 'Basic realm="tq web", charset="UTF-8"';
  if (auth.mode === 'token') return 'Bearer realm="tq web"';
  return undefined;
}

export function authName(auth: AuthConfig): WireAuth {
  return auth.mode;
}

function same(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so timingSafeEqual never leaks the secret's length.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * CSRF protection for actions. A session is a random id in an HttpOnly,
 * SameSite=Strict cookie; its CSRF token is an HMAC of that id under a key
 * that lives only in this process. An action must carry the token in the
 * X-TQ-CSRF header: another site's page can neither read the token (no CORS)
 * nor set the header on a cross-site request without a preflight we never
 * allow, and a cookie planted by a sibling host has no valid token.
 */
export class CsrfGuard {
  static readonly COOKIE = 'tq_session';
  static readonly HEADER = 'x-tq-csrf';
  private readonly key = randomBytes(32);

  newSession(): string {
    return randomBytes(18).toString('base64url');
  }

  tokenFor(session: string): string {
    return createHmac('sha256', this.key).update(session).digest('base64url');
  }

  valid(session: string | undefined, token: string | undefined): boolean {
    if (!session || !token) return false;
    return same(token, this.tokenFor(session));
  }
}
