import { Hono } from 'hono';
import { setCookie, getCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { TqError } from '../errors.js';
import type { TqMetrics } from '../metrics/families.js';
import { isAction, runAction } from './actions.js';
import { authName, CsrfGuard, type AuthConfig } from './auth.js';
import type { LiveHub, StreamView } from './hub.js';
import type { WebData } from './queries.js';
import { actionGuard, loopbackHostOnly, requireAuth, securityHeaders } from './security.js';
import type { Asset } from './static.js';
import type { TaskFilter } from './views.js';
import { deadLetterOf, overviewOf, taskListOf, taskOf } from './views.js';
import type { WireActionResult, WireSchedule, WireSeries, WireSession } from './wire.js';

export interface WebAppOptions {
  data: WebData;
  hub: LiveHub;
  metrics: TqMetrics;
  auth: AuthConfig;
  readOnly: boolean;
  version: string;
  assets: ReadonlyMap<string, Asset>;
  series(): WireSeries;
}

/** Bodies of actions are small JSON objects. */
const MAX_BODY_BYTES = 64 * 1024;

/** The routes of `tq web`: the page, its JSON API, the live stream (SSE), actions and /metrics. */
export function createWebApp(o: WebAppOptions): Hono {
  const csrf = new CsrfGuard();
  const canAct = o.auth.mode !== 'none' && !o.readOnly;
  const actionsOff = o.readOnly
    ? 'tq web runs with --read-only: actions are off'
    : o.auth.mode === 'none'
      ? 'actions need authentication: start tq web with --auth user:password or --token TOKEN'
      : null;
  const app = new Hono();
  app.use('*', securityHeaders(), loopbackHostOnly(o.auth), requireAuth(o.auth));

  app.get('/api/session', (c) => {
    let session = getCookie(c, CsrfGuard.COOKIE);
    if (!session || session.length > 100) {
      session = csrf.newSession();
      setCookie(c, CsrfGuard.COOKIE, session, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    const body: WireSession = { auth: authName(o.auth), readOnly: o.readOnly, canAct, actionsOff, csrf: csrf.tokenFor(session), broker: o.data.displayUrl, version: o.version };
    return c.json(body);
  });

  app.get('/api/stream', (c) => {
    const view = streamView(c.req.query());
    if (o.hub.full) return c.json({ ok: false, message: 'too many live streams open' }, 503);
    return streamSSE(c, async (stream) => {
      const detach = o.hub.subscribe(view, (json) => stream.writeSSE({ event: 'update', data: json }));
      if (!detach) return;
      // A comment now and then keeps proxies from closing an idle stream.
      const ping = setInterval(() => void stream.write(': ping\n\n').catch(() => undefined), 15_000);
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(ping);
      detach();
    });
  });

  app.get('/api/overview', (c) => c.json(overviewOf(o.data.monitor.state, o.series())));
  app.get('/api/tasks', (c) => c.json(taskListOf(o.data.monitor.state, filterOf(c.req.query()))));
  app.get('/api/tasks/:id', async (c) => {
    const id = c.req.param('id');
    const task = taskOf(o.data.monitor.state.tasks.get(id), await o.data.storedTask(id));
    return task ? c.json(task) : c.json({ ok: false, message: `no task ${id} is known: not in the event stream, and no stored result` }, 404);
  });
  app.get('/api/dead', async (c) => c.json((await o.data.deadLetters()).map(deadLetterOf)));
  app.get('/api/schedule', async (c) => {
    const s = await o.data.schedule();
    const body: WireSchedule = {
      available: s.available,
      reason: s.reason,
      entries: s.entries.map((e) => ({ name: e.name, task: e.task, source: e.source, schedule: e.schedule, tz: e.tz, queue: e.queue, next: e.next })),
    };
    return c.json(body);
  });

  app.post('/api/actions/:name', actionGuard({ canAct, actionsOff, csrf }), async (c) => {
    const name = c.req.param('name');
    if (!isAction(name)) return c.json({ ok: false, message: `no action '${name}'` }, 404);
    const raw = await c.req.text();
    if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return c.json({ ok: false, message: 'body too large' }, 413);
    try {
      const message = await runAction(name, o.data, parseJson(raw), o.data.monitor.state);
      o.hub.changed();
      return c.json({ ok: true, message } satisfies WireActionResult);
    } catch (err) {
      if (err instanceof TqError && err.userError) return c.json({ ok: false, message: err.message } satisfies WireActionResult, 400);
      throw err;
    }
  });

  app.get('/metrics', async (c) => c.body(await o.metrics.text(), 200, { 'Content-Type': o.metrics.contentType }));

  app.get('*', (c) => {
    const asset = o.assets.get(c.req.path);
    if (!asset) {
      if (o.assets.size === 0) return c.text('the tq web page is not built: run `npm run build`\n', 503);
      return c.text('not found\n', 404);
    }
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    return c.body(new Uint8Array(asset.body), 200, { 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'no-cache' });
  });
  return app;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new TqError('BAD_INPUT', 'the body is not JSON');
  }
}

function filterOf(q: Record<string, string>): TaskFilter {
  return { name: q.name || undefined, state: q.state || undefined, worker: q.worker || undefined, queue: q.queue || undefined, id: q.id || undefined, limit: q.limit ? Number(q.limit) || undefined : undefined };
}

function streamView(q: Record<string, string>): StreamView {
  if (q.view === 'tasks') return { kind: 'tasks', filter: filterOf(q) };
  if (q.view === 'task' && q.id) return { kind: 'task', id: q.id };
  return { kind: 'overview' };
}
