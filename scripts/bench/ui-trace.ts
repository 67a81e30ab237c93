// Where the review grid's first paint goes (`ui.ts --trace`): every service call the page makes through the HTTP
// bridge, timed where the services run it. SQLite is synchronous, so a call's time is time the one server thread
// could do nothing else; calls the page issues together queue behind each other.
import type { Api } from '../../src/shared/api.js';

export interface TracedCall {
  name: string;
  args: string;
  startMs: number;
  ms: number;
}

export interface ApiTrace {
  api: Api;
  /** The calls recorded since the last take, in the order they started. */
  take(): TracedCall[];
}

function summarise(args: unknown[]): string {
  const text = JSON.stringify(args) ?? '';
  return text.length > 140 ? `${text.slice(0, 137)}...` : text;
}

/** The same services with each method of each namespace timed. */
export function traceApi(api: Api): ApiTrace {
  let calls: TracedCall[] = [];
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [ns, service] of Object.entries(api) as [string, Record<string, unknown>][]) {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(service)) {
      if (typeof fn !== 'function') continue;
      out[name] = async (...args: unknown[]) => {
        const call: TracedCall = { name: `${ns}.${name}`, args: summarise(args), startMs: performance.now(), ms: 0 };
        calls.push(call);
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>).apply(service, args);
        } finally {
          call.ms = performance.now() - call.startMs;
        }
      };
    }
    wrapped[ns] = out;
  }
  return {
    api: wrapped as unknown as Api,
    take() {
      const taken = calls;
      calls = [];
      return taken;
    },
  };
}

/** One line per call, start relative to the first, and the total time spent inside the services. */
export function formatTrace(calls: TracedCall[]): string {
  if (!calls.length) return '  (no service calls)';
  const t0 = calls[0]!.startMs;
  const lines = calls.map(
    (c) => `  +${(c.startMs - t0).toFixed(0).padStart(6)} ms  ${c.ms.toFixed(1).padStart(8)} ms  ${c.name} ${c.args}`,
  );
  const busy = calls.reduce((s, c) => s + c.ms, 0);
  lines.push(`  ${calls.length} calls, ${busy.toFixed(0)} ms inside the services (overlapping calls counted each)`);
  return lines.join('\n');
}
