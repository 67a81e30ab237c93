// Browser mode: calls are POST /api/call with the session cookie (same-origin), events arrive over one shared
// server-sent-events stream, images are plain URLs by opaque id. No Node imports: the renderer bundles this.
import type { ImageVariant } from '../shared/api.js';
import type { AppErrorCode } from '../shared/errors.js';
import { readSse, type SseConnection } from './sse-reader.js';
import { HTTP_ROUTES, type CallReply, type EventHandler, type Transport } from './types.js';

export interface HttpTransportOptions {
  fetch?: typeof fetch;
  /** Extra headers for every request, e.g. { authorization: 'Bearer <token>' } for scripts and tests. */
  headers?: Record<string, string>;
}

interface EventStream {
  close(): void;
}

export function createHttpTransport(baseUrl = '', options: HttpTransportOptions = {}): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const headers = options.headers ?? {};
  const handlers = new Set<EventHandler>();
  let stream: EventStream | null = null;

  const deliver = (data: string) => {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return; // not ours: the server only sends JSON
    }
    if (typeof message !== 'object' || message === null) return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (typeof event !== 'string') return;
    for (const handler of [...handlers]) handler(event, payload);
  };

  const open = (): EventStream => {
    const url = `${base}${HTTP_ROUTES.events}`;
    // EventSource reconnects by itself and sends the cookie; it cannot send headers, so scripts use fetch.
    const ES = (globalThis as { EventSource?: typeof EventSource }).EventSource;
    if (ES && Object.keys(headers).length === 0) {
      const source = new ES(url, { withCredentials: false });
      source.onmessage = (e) => deliver(String(e.data));
      return { close: () => source.close() };
    }
    const conn: SseConnection = readSse(url, { fetch: doFetch, headers }, deliver);
    return { close: () => conn.close() };
  };

  return {
    async call(message): Promise<CallReply> {
      const res = await doFetch(`${base}${HTTP_ROUTES.call}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(message),
      });
      const text = await res.text();
      const reply = parseReply(text);
      if (reply) return reply;
      return {
        ok: false,
        error: { code: codeForStatus(res.status), message: `HTTP ${res.status}: ${text.slice(0, 200)}` },
      };
    },
    listen(handler) {
      handlers.add(handler);
      stream ??= open();
      return () => {
        handlers.delete(handler);
        if (handlers.size === 0 && stream) {
          stream.close();
          stream = null;
        }
      };
    },
    imageUrl(variant: ImageVariant, id: number) {
      return `${base}${HTTP_ROUTES.image}/${variant}/${id}`;
    },
  };
}

function parseReply(text: string): CallReply | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const r = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
    if (r.ok === true) return value as CallReply;
    if (r.ok === false && typeof r.error?.code === 'string' && typeof r.error.message === 'string') {
      return value as CallReply;
    }
    return null;
  } catch {
    return null;
  }
}

export function codeForStatus(status: number): AppErrorCode | 'internal' {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 400 || status === 413 || status === 415) return 'invalid-argument';
  return 'internal';
}
