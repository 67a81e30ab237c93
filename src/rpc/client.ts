// The calling end: one Proxy gives back the whole `Api` (service -> method) over any transport. The caller never
// knows which transport it has; errors arrive as values and are rethrown as AppError (or Error for bugs).
import type { Api } from '../shared/api.js';
import { deserializeError } from '../shared/errors.js';
import type { Transport } from './types.js';

type AnyFn = (...args: unknown[]) => Promise<unknown>;

export function createClient<T extends object = Api>(transport: Pick<Transport, 'call'>): T {
  const services = new Map<string, object>();
  return new Proxy({} as T, {
    get(_target, service) {
      // Symbols and 'then' are what await/inspection probe; answering them would make the client a thenable.
      if (typeof service !== 'string' || service === 'then') return undefined;
      let proxy = services.get(service);
      if (!proxy) {
        proxy = serviceProxy(transport, service);
        services.set(service, proxy);
      }
      return proxy;
    },
  });
}

function serviceProxy(transport: Pick<Transport, 'call'>, service: string): object {
  const methods = new Map<string, AnyFn>();
  return new Proxy(
    {},
    {
      get(_target, method) {
        if (typeof method !== 'string' || method === 'then') return undefined;
        let fn = methods.get(method);
        if (!fn) {
          fn = async (...args: unknown[]) => {
            const reply = await transport.call({ service, method, args });
            if (reply.ok) return reply.value;
            throw deserializeError(reply.error);
          };
          methods.set(method, fn);
        }
        return fn;
      },
    },
  );
}
