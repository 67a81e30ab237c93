// A fake `Api` for transport and perimeter tests: every method of the contract records its call and answers
// from `responses` (or null). Lets tests assert "zero calls" after hostile traffic.
import { SERVICE_NAMES, type Api, type ApiEvents, type EventName } from '../../shared/api.js';
import { EventBus } from '../../shared/event-bus.js';
import { API_ARGS } from '../../shared/validate.js';
import type { ApiEventSource } from '../events.js';

export interface RecordedCall {
  service: string;
  method: string;
  args: unknown[];
}

export type FakeResponses = Partial<Record<string, (...args: unknown[]) => unknown>>;

export interface FakeApi {
  api: Api;
  calls: RecordedCall[];
  events: ApiEventSource & { emit<E extends EventName>(name: E, payload: ApiEvents[E]): void; listenerCount(): number };
}

/** `responses` is keyed 'service.method'. */
export function createFakeApi(responses: FakeResponses = {}): FakeApi {
  const calls: RecordedCall[] = [];
  const api: Record<string, Record<string, unknown>> = {};
  for (const service of SERVICE_NAMES) {
    const methods: Record<string, unknown> = {};
    for (const method of Object.keys(API_ARGS[service])) {
      methods[method] = async (...args: unknown[]) => {
        calls.push({ service, method, args });
        const respond = responses[`${service}.${method}`];
        return respond ? await respond(...args) : null;
      };
    }
    api[service] = methods;
  }
  const events: FakeApi['events'] = new EventBus<ApiEvents>();
  return { api: api as unknown as Api, calls, events };
}
