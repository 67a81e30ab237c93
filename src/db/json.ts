// Small helpers shared by the repositories: timestamps and JSON columns.

/** Timestamps are ISO 8601 UTC strings; ordering that matters uses ids or generations, never these. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Parses a JSON column written by this module; a damaged value becomes the fallback instead of a crash. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}
