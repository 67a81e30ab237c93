// A minimal server-sent-events reader over fetch, for callers that cannot use EventSource: Node scripts and
// tests (Node 20 has no EventSource) and anyone who must send an Authorization header. Browser-safe.

export interface SseConnection {
  close(): void;
  /** Resolves when the stream ends (server closed it, or close() was called). */
  done: Promise<void>;
}

export function readSse(
  url: string,
  init: { fetch?: typeof fetch; headers?: Record<string, string> },
  onData: (data: string) => void,
): SseConnection {
  const abort = new AbortController();
  const doFetch = init.fetch ?? globalThis.fetch.bind(globalThis);
  const done = (async () => {
    try {
      const res = await doFetch(url, {
        headers: { accept: 'text/event-stream', ...init.headers },
        credentials: 'same-origin',
        signal: abort.signal,
      });
      if (!res.ok || !res.body) return;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
          const data = block
            .split(/\r?\n/)
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).replace(/^ /, ''))
            .join('\n');
          if (data) onData(data);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return { close: () => abort.abort(), done: done.catch(() => {}) };
}
