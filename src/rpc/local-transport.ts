// In-process transport, the CLI's and the tests': the same dispatcher (so the same argument validation) and the
// same JSON round trip as the real wires, so a caller through it sees exactly what a renderer would — no shared
// object references, no class instances, the same errors.
import type { Api, ImageVariant } from '../shared/api.js';
import { createDispatcher } from './dispatcher.js';
import { subscribeAll, type ApiEventSource } from './events.js';
import type { CallReply, EventHandler, Transport } from './types.js';

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

export function createLocalTransport(api: Api, events?: ApiEventSource): Transport {
  const dispatch = createDispatcher(api);
  return {
    async call(message): Promise<CallReply> {
      return roundTrip(await dispatch(roundTrip(message)));
    },
    listen(handler: EventHandler) {
      if (!events) return () => {};
      return subscribeAll(events, (name, payload) => handler(name, roundTrip(payload)));
    },
    imageUrl(variant: ImageVariant, id: number) {
      return `local-img://${variant}/${id}`;
    },
  };
}
