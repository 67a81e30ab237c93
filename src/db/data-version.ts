// "Has the project's data changed since?" for caches of derived values (counts, legends): a cheap token that moves
// with every write of this connection and every commit of any other. Bookkeeping writes of derived data (stored
// score summaries) are not data changes: they are discounted, so storing a summary never throws the counts away.
import type { Db } from './connection.js';

const discounted = new WeakMap<Db, number>();

export function dataVersion(db: Db): string {
  // total_changes covers this connection's writes, data_version everyone else's.
  const mine = db.prepare('SELECT total_changes()').pluck().get() as number;
  const theirs = db.pragma('data_version', { simple: true }) as number;
  return `${mine - (discounted.get(db) ?? 0)}:${theirs}`;
}

/** Runs a write of derived data without moving this connection's data version. */
export function bookkeepingWrite<T>(db: Db, write: () => T): T {
  const count = () => db.prepare('SELECT total_changes()').pluck().get() as number;
  const before = count();
  try {
    return write();
  } finally {
    discounted.set(db, (discounted.get(db) ?? 0) + count() - before);
  }
}

const caches = new WeakMap<Db, Map<string, { version: string; value: unknown }>>();

/** A value derived from the data, computed again only after the data changed (at most 64 kept per connection). */
export function cachedByVersion<T>(db: Db, key: string, compute: () => T): T {
  const version = dataVersion(db);
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  const hit = cache.get(key);
  if (hit && hit.version === version) return hit.value as T;
  const value = compute();
  cache.delete(key);
  if (cache.size >= 64) cache.delete(cache.keys().next().value as string);
  cache.set(key, { version, value });
  return value;
}
