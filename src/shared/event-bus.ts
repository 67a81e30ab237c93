// The one typed event bus: the services fan ApiEvents out to every transport with it, the renderer's state
// classes announce what happened on it instead of importing each other, test doubles emit through it. A listener
// that throws is reported and skipped, so one broken subscriber cannot stop a job or the others.

export class EventBus<M extends object> {
  private readonly handlers = new Map<keyof M, Set<(payload: never) => void>>();
  private readonly anyHandlers = new Set<(name: keyof M, payload: unknown) => void>();

  on<K extends keyof M>(name: K, handler: (payload: M[K]) => void): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Every event, with its name (what IPC and SSE forward). */
  onAny(handler: (name: keyof M, payload: unknown) => void): () => void {
    this.anyHandlers.add(handler);
    return () => this.anyHandlers.delete(handler);
  }

  emit<K extends keyof M>(name: K, payload: M[K]): void {
    // Copies, so a handler that unsubscribes (or subscribes) while handling does not change this delivery.
    for (const handler of [...(this.handlers.get(name) ?? [])]) {
      safely(() => (handler as (p: M[K]) => void)(payload));
    }
    for (const handler of [...this.anyHandlers]) safely(() => handler(name, payload));
  }

  listenerCount(): number {
    let n = this.anyHandlers.size;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    console.error('event listener failed:', error);
  }
}
