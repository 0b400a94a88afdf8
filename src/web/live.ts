import { useEffect, useState } from 'preact/hooks';
import type { WireUpdate } from '../runtime/web/wire.js';
import { authHeaders } from './api.js';

/**
 * A live stream from /api/stream as a hook: the latest update of a view.
 * Server-sent events read with fetch, not EventSource, so the bearer token
 * goes in a header like on every other request. Reconnects after a drop.
 */
export function useLive(query: string | null): { update: WireUpdate | null; connected: boolean } {
  const [update, setUpdate] = useState<WireUpdate | null>(null);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (query === null) return;
    const stop = new AbortController();
    setUpdate(null);
    void (async () => {
      while (!stop.signal.aborted) {
        try {
          await read(`/api/stream?${query}`, stop.signal, (u) => {
            setConnected(true);
            setUpdate(u);
          });
        } catch {
          // dropped: try again below
        }
        setConnected(false);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    return () => stop.abort();
  }, [query]);
  return { update, connected };
}

async function read(url: string, signal: AbortSignal, onUpdate: (u: WireUpdate) => void): Promise<void> {
  const res = await fetch(url, { headers: { ...authHeaders(), Accept: 'text/event-stream' }, credentials: 'same-origin', signal });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (event === 'update' && data.length > 0) onUpdate(JSON.parse(data.join('\n')) as WireUpdate);
    }
  }
}
