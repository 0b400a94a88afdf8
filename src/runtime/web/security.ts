import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { authorized, challenge, CsrfGuard, isLoopback, type AuthConfig } from './auth.js';

/**
 * Nothing on the page runs but its own bundled script: no inline script or
 * style, no other origin, no framing. Task-supplied strings are only ever set
 * as text by the page, and this policy is the second line behind that.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  };
}

/**
 * Without auth, answers only requests addressed to this machine by name:
 * a page elsewhere that rebinds its own host name to 127.0.0.1 (DNS
 * rebinding) sends its own Host header and is turned away.
 */
export function loopbackHostOnly(auth: AuthConfig): MiddlewareHandler {
  return async (c, next) => {
    if (auth.mode === 'none') {
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '');
      if (!isLoopback(host)) return c.text(`tq web without --auth or --token answers requests for this machine only (Host: ${host || 'none'})\n`, 403);
    }
    await next();
  };
}

/**
 * Every request needs the secret: the page, its API, the live stream and
 * /metrics. With a token, the page's own files (code, no data) load without
 * it, since a browser cannot send a bearer token when it opens a URL; the
 * page then asks for the token and sends it on every request it makes.
 */
export function requireAuth(auth: AuthConfig): MiddlewareHandler {
  return async (c, next) => {
    const publicFile = auth.mode === 'token' && (c.req.path === '/' || c.req.path.startsWith('/assets/'));
    if (publicFile || authorized(auth, c.req.header('authorization'))) return next();
    const www = challenge(auth);
    if (www) c.header('WWW-Authenticate', www);
    return c.json({ ok: false, message: auth.mode === 'basic' ? 'wrong or missing user name and password' : 'wrong or missing token' }, 401);
  };
}

/**
 * What every action must pass besides auth: actions turned on, a JSON body
 * (a cross-site form cannot send one), no foreign Origin or Sec-Fetch-Site,
 * and the session's CSRF token in the X-TQ-CSRF header.
 */
export function actionGuard(options: { canAct: boolean; actionsOff: string | null; csrf: CsrfGuard }): MiddlewareHandler {
  return async (c, next) => {
    if (!options.canAct) return c.json({ ok: false, message: options.actionsOff ?? 'actions are off' }, 403);
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) return c.json({ ok: false, message: 'actions take a JSON body' }, 415);
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    // c.req.url is built from the Host header, so its origin is the one the page was loaded from.
    if ((origin && origin !== new URL(c.req.url).origin) || (site && site !== 'same-origin')) {
      return c.json({ ok: false, message: 'cross-site request refused' }, 403);
    }
    if (!options.csrf.valid(getCookie(c, CsrfGuard.COOKIE), c.req.header(CsrfGuard.HEADER))) {
      return c.json({ ok: false, message: 'missing or stale CSRF token: reload the page' }, 403);
    }
    return next();
  };
}
