// A cache of fixed-size pages of a long ordered list (the review grid's images). Pages are fetched on demand,
// deduplicated while in flight, evicted least-recently-used, and dropped wholesale when the query changes:
// a generation number makes late answers for an old query harmless.

export interface Page<T> {
  total: number;
  offset: number;
  rows: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<Page<T>>;

export class PageCache<T> {
  private pages = new Map<number, T[]>();
  private inflight = new Map<number, Promise<void>>();
  private generation = 0;
  total: number | null = null;

  constructor(
    private fetcher: PageFetcher<T>,
    readonly pageSize = 200,
    private maxPages = 60,
    /** Called whenever new rows arrive, so a reactive owner can redraw. */
    private onChange: () => void = () => {},
  ) {}

  /** Forget everything (new query or new data). */
  reset(fetcher?: PageFetcher<T>): void {
    if (fetcher) this.fetcher = fetcher;
    this.generation++;
    this.pages.clear();
    this.inflight.clear();
    this.total = null;
  }

  get(index: number): T | undefined {
    const page = Math.floor(index / this.pageSize);
    const rows = this.pages.get(page);
    if (!rows) return undefined;
    // Re-insert to mark as recently used.
    this.pages.delete(page);
    this.pages.set(page, rows);
    return rows[index - page * this.pageSize];
  }

  has(index: number): boolean {
    return this.pages.has(Math.floor(index / this.pageSize));
  }

  /** Fetch every page touching items [start, end) that is not cached or in flight. */
  async ensure(start: number, end: number): Promise<void> {
    const first = Math.floor(Math.max(0, start) / this.pageSize);
    const last = Math.floor((Math.max(start + 1, end) - 1) / this.pageSize);
    const work: Promise<void>[] = [];
    for (let p = first; p <= last; p++) {
      if (this.total !== null && p * this.pageSize >= this.total && p > 0) break;
      if (this.pages.has(p)) continue;
      work.push(this.inflight.get(p) ?? this.load(p));
    }
    await Promise.all(work);
  }

  /** Replace a row in place wherever it is cached (after a decision). */
  update(match: (row: T) => boolean, next: (row: T) => T): number {
    let changed = 0;
    for (const rows of this.pages.values()) {
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as T;
        if (match(row)) {
          rows[i] = next(row);
          changed++;
        }
      }
    }
    if (changed) this.onChange();
    return changed;
  }

  cachedPages(): number[] {
    return [...this.pages.keys()];
  }

  private load(page: number): Promise<void> {
    const generation = this.generation;
    const promise = this.fetcher(page * this.pageSize, this.pageSize)
      .then((result) => {
        if (generation !== this.generation) return;
        this.total = result.total;
        this.pages.set(page, result.rows);
        while (this.pages.size > this.maxPages) {
          const oldest = this.pages.keys().next().value as number;
          this.pages.delete(oldest);
        }
        this.onChange();
      })
      .finally(() => {
        if (generation === this.generation) this.inflight.delete(page);
      });
    this.inflight.set(page, promise);
    return promise;
  }
}
