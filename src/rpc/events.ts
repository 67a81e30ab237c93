// Typed event subscription on top of the untyped (name, payload) wire. Services emit ApiEvents; every transport
// forwards them unchanged, so a handler here gets the payload type of the name it asked for.
import { EVENT_NAMES, type ApiEvents, type EventName } from '../shared/api.js';
import type { EventHandler, Transport } from './types.js';

/** What the services offer for events (the services' EventBus satisfies it). */
export interface ApiEventSource {
  on<E extends EventName>(name: E, handler: (payload: ApiEvents[E]) => void): () => void;
}

/** Subscribe to one event by name through any transport. Returns an unsubscribe function. */
export function onEvent<E extends EventName>(
  transport: Pick<Transport, 'listen'>,
  name: E,
  handler: (payload: ApiEvents[E]) => void,
): () => void {
  return transport.listen((event, payload) => {
    if (event === name) handler(payload as ApiEvents[E]);
  });
}

/** Forward every ApiEvent of a source to one untyped handler (what IPC and SSE send on). */
export function subscribeAll(source: ApiEventSource, handler: EventHandler): () => void {
  const offs = EVENT_NAMES.map((name) => source.on(name, (payload: unknown) => handler(name, payload)));
  return () => {
    for (const off of offs) off();
  };
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && (EVENT_NAMES as readonly string[]).includes(value);
}
