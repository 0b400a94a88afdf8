import { describe, expect, it } from 'vitest';
import { authorized, checkBind, CsrfGuard, isLoopback, parseAuth } from '../../src/runtime/web/auth.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('tq web auth', () => {
  it('accepts only the exact Basic credentials or bearer token', () => {
    const b = parseAuth('admin:pa:ss', undefined);
    expect(b).toEqual({ mode: 'basic', user: 'admin', password: 'pa:ss' });
    expect(authorized(b, basic('admin:pa:ss'))).toBe(true);
    for (const wrong of [basic('admin:pa'), basic('Admin:pa:ss'), basic(':pa:ss'), basic('adminpa:ss'), 'Bearer admin:pa:ss', undefined, '']) expect(authorized(b, wrong)).toBe(false);
    const t = parseAuth(undefined, 'token-123456');
    expect(authorized(t, 'Bearer token-123456')).toBe(true);
    expect(authorized(t, 'bearer  token-123456')).toBe(true);
    for (const wrong of ['Bearer token-12345', basic('x:token-123456'), 'token-123456']) expect(authorized(t, wrong)).toBe(false);
  });

  it('binds beyond loopback only with auth', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopback(host)).toBe(false);
    expect(() => checkBind('0.0.0.0', { mode: 'none' })).toThrow(/without authentication/);
    expect(() => checkBind('0.0.0.0', { mode: 'token', token: 'x'.repeat(8) })).not.toThrow();
  });

  it('gives each session a CSRF token no other session (or process) can use', () => {
    const guard = new CsrfGuard();
    const a = guard.newSession();
    const b = guard.newSession();
    expect(guard.valid(a, guard.tokenFor(a))).toBe(true);
    expect(guard.valid(b, guard.tokenFor(a))).toBe(false);
    expect(guard.valid(a, undefined)).toBe(false);
    expect(new CsrfGuard().valid(a, guard.tokenFor(a))).toBe(false);
  });
});
