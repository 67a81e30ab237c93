// A typed event map: state classes announce what happened instead of importing each other.

export class EventBus<M extends object> {
  private handlers = new Map<keyof M, Set<(payload: never) => void>>();

  on<K extends keyof M>(name: K, handler: (payload: M[K]) => void): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  emit<K extends keyof M>(name: K, payload: M[K]): void {
    for (const handler of [...(this.handlers.get(name) ?? [])]) (handler as (p: M[K]) => void)(payload);
  }
}
