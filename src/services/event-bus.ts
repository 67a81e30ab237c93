// Typed fan-out of ApiEvents to every transport (IPC, SSE, CLI). Listener errors are isolated so one broken
// subscriber cannot stop a job.
import type { ApiEvents, EventName } from '../shared/api.js';

export type Listener<K extends EventName> = (payload: ApiEvents[K]) => void;
export type AnyListener = (name: EventName, payload: unknown) => void;

export class EventBus {
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  private readonly anyListeners = new Set<AnyListener>();

  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  onAny(listener: AnyListener): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  emit<K extends EventName>(name: K, payload: ApiEvents[K]): void {
    for (const l of this.listeners.get(name) ?? []) safely(() => l(payload));
    for (const l of this.anyListeners) safely(() => l(name, payload));
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    console.error('event listener failed:', error);
  }
}
