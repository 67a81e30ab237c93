// The review session: query (filters, sort, threshold), the paged grid cache, cursor and selection, the
// histogram, and every decision. Decisions update cached rows in place so the grid never jumps under the
// reviewer; a new query (or a new run) starts a fresh cache.
import type { Action, Histogram, ImageQuery, ImageRow, ReviewEvent } from '../../../src/shared/dto.js';
import type { LabelResult } from '../../../src/shared/labeling-dto.js';
import { backend } from '../lib/backend.js';
import { countAbove } from '../lib/histogram-math.js';
import { PageCache } from '../lib/page-cache.js';
import { EMPTY_FILTERS, queryKey, toQuery, type Filters } from '../lib/query.js';
import { Selection } from '../lib/selection.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { settings } from './settings.svelte.js';
import { toasts } from './toasts.svelte.js';
import { UndoStack, type UndoEntry } from './undo-stack.js';

export const PAGE_SIZE = 240;
/** Page size for reading a large selection's rows: few calls, each well inside the services' limit. */
const TARGET_PAGE = 5000;

/** Sorted indices as [offset, limit] spans of at most `max` items (a span may cover unselected gaps). */
export function spans(sorted: number[], max: number): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  let end = -1;
  for (const i of sorted) {
    if (start >= 0 && i - start < max) {
      end = i;
      continue;
    }
    if (start >= 0) out.push([start, end - start + 1]);
    start = end = i;
  }
  if (start >= 0) out.push([start, end - start + 1]);
  return out;
}
const HISTOGRAM_BINS = 60;
/** Sorts that are not a scorer: no histogram, no threshold. */
const NOT_SCORERS = new Set(['path', 'informative']);

/** The label filter of the grid: '' all, 'no' images still waiting for a class, 'yes' images with one. */
export type LabelledFilter = '' | 'yes' | 'no';

function withLabelled(q: ImageQuery, labelled: LabelledFilter): ImageQuery {
  return labelled === '' ? q : { ...q, labelled: labelled === 'yes' };
}

class ReviewState {
  filters = $state<Filters>({ ...EMPTY_FILTERS });
  sortBy = $state('ssod');
  order = $state<'asc' | 'desc'>('desc');
  scorers = $state<string[]>([]);
  classes = $state<string[]>([]);
  /** The current run's default scorer: what tiles show when the grid is not sorted by a scorer. */
  defaultScorer = $state('ssod');
  labelled = $state<LabelledFilter>('');
  /** Threshold used by queries (null: the run's own). */
  threshold = $state<number | null>(null);
  /** While dragging: the live value before it is committed. */
  draftThreshold = $state<number | null>(null);
  histogram = $state<Histogram | null>(null);
  /** Exact count from the service for the committed threshold. */
  flaggedExact = $state<number | null>(null);
  /** Share of training images below the committed threshold (null: unknown, e.g. no run). */
  thresholdPercentile = $state<number | null>(null);
  total = $state(0);
  /** Bumped when cached rows change, so components re-read the cache. */
  version = $state(0);
  /** Query key whose first page is on screen: e2e and the benchmark wait on it. */
  readyKey = $state('');
  cursor = $state(0);
  selectionVersion = $state(0);
  lastError = $state<string | null>(null);

  readonly selection = new Selection();
  /** Written by the grid as it lays out; read by keyboard moves. */
  layout = { columns: 1, rowsPerPage: 1 };
  readonly cache = new PageCache<ImageRow>(
    (offset, limit) => this.fetchPage(offset, limit),
    PAGE_SIZE,
    80,
    () => this.version++,
  );
  /** Batches this reviewer decided in this session, newest last, for `u`. */
  private readonly undoStack = new UndoStack();
  /** Decisions and labels on their way to the services (see `track`). */
  private readonly inflight = new Set<Promise<unknown>>();
  private ownEvents = new Set<number>();
  private activeKey = '';
  private flaggedTimer: ReturnType<typeof setTimeout> | null = null;

  query = $derived<ImageQuery>(
    withLabelled(toQuery(this.filters, this.sortBy, this.order, this.threshold), this.labelled),
  );
  /** Whether the grid is sorted by an OOD scorer (not by path or the informative order). */
  sortedByScore = $derived(!NOT_SCORERS.has(this.sortBy));
  /** The scorer tiles and the detail show. */
  shownScorer = $derived(this.sortedByScore ? this.sortBy : this.defaultScorer);
  key = $derived(queryKey(this.query));
  effectiveThreshold = $derived(this.draftThreshold ?? this.threshold ?? this.histogram?.threshold ?? null);
  /** Live while dragging (from the bins), exact once the service answers. */
  flaggedCount = $derived.by(() => {
    if (this.draftThreshold !== null && this.histogram) return countAbove(this.histogram, this.draftThreshold);
    if (this.flaggedExact !== null) return this.flaggedExact;
    const t = this.effectiveThreshold;
    return this.histogram && t !== null ? countAbove(this.histogram, t) : null;
  });

  constructor() {
    appEvents.on('project.opened', (p) => {
      this.filters = { ...EMPTY_FILTERS };
      this.labelled = '';
      this.threshold = null;
      this.undoStack.clear();
      if (p) void this.loadMeta();
      this.reload();
    });
    appEvents.on('run.changed', () => {
      void this.loadMeta();
      this.reload();
    });
    appEvents.on('sources.changed', () => {
      // New or rescanned images: the grid and counts change; without a run there are no scores to keep.
      void this.loadMeta();
      this.reload();
    });
    appEvents.on('decisions.remote', ({ events }) => void this.applyRemote(events));
  }

  /** Scorers and classes of the current run/project. */
  async loadMeta(): Promise<void> {
    try {
      const api = backend().api;
      const [classes, runs] = await Promise.all([api.images.classes(), api.runs.list()]);
      this.classes = classes;
      const current = runs.find((r) => r.isCurrent);
      this.scorers = current?.scorers ?? [];
      if (current) this.defaultScorer = current.defaultScorer;
      if (current && !this.scorers.includes(this.sortBy) && !NOT_SCORERS.has(this.sortBy)) {
        this.sortBy = current.defaultScorer;
      }
    } catch (error) {
      handleError(error, 'Could not load classes and scorers');
    }
  }

  /** Start over for the current query: new cache, cursor at the top, histogram and count refreshed. */
  reload(): void {
    this.activeKey = this.key;
    this.cache.reset();
    this.total = 0;
    this.selection.clear();
    this.selection.moveTo(0);
    this.cursor = 0;
    this.selectionVersion++;
    this.version++;
    this.lastError = null;
    const key = this.activeKey;
    this.cache
      .ensure(0, PAGE_SIZE)
      .then(() => {
        if (key !== this.activeKey) return;
        this.total = this.cache.total ?? 0;
        this.readyKey = key;
      })
      .catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.readyKey = key;
        if (!(error instanceof Error && error.message.includes('no project')))
          handleError(error, 'Could not load images');
      });
    void this.loadHistogram();
    this.refreshFlagged();
  }

  setSort(sortBy: string, order?: 'asc' | 'desc'): void {
    this.sortBy = sortBy;
    if (order) this.order = order;
    if (sortBy !== this.histogram?.scorer) this.threshold = null;
    this.reload();
  }

  setFilter<K extends keyof Filters>(name: K, value: Filters[K]): void {
    this.filters = { ...this.filters, [name]: value };
    this.reload();
  }

  clearFilters(): void {
    this.filters = { ...EMPTY_FILTERS };
    this.labelled = '';
    this.reload();
  }

  setLabelled(value: LabelledFilter): void {
    this.labelled = value;
    this.reload();
  }

  /** "Label the inbox": unlabelled inbox images, what a label helps most first. */
  labelInbox(): void {
    this.filters = { ...this.filters, sourceId: null, role: 'inbox', decision: '', flagged: 'any' };
    this.labelled = 'no';
    this.sortBy = 'informative';
    this.threshold = null;
    this.reload();
  }

  /** Dragging: only the live estimate moves; nothing is fetched. */
  dragThreshold(value: number): void {
    this.draftThreshold = value;
  }

  /** Release: the threshold becomes part of the query; the grid reloads only if it filters on flagged. */
  commitThreshold(value: number | null): void {
    this.draftThreshold = null;
    this.threshold = value;
    if (this.filters.flagged !== 'any') this.reload();
    else {
      this.refreshFlagged();
      this.version++;
    }
  }

  /** Is this row above the threshold in force (live while dragging)? */
  isFlagged(row: ImageRow): boolean | null {
    const t = this.draftThreshold ?? this.threshold;
    if (t === null || !this.sortedByScore) return row.flagged;
    const s = row.scores[this.sortBy];
    return s === undefined ? null : s >= t;
  }

  rowAt(index: number): ImageRow | undefined {
    void this.version; // the cache is plain; reading version makes callers re-run when rows arrive
    return this.cache.get(index);
  }

  ensureRange(start: number, end: number): void {
    const key = this.activeKey;
    this.cache
      .ensure(start, end)
      .then(() => {
        if (key === this.activeKey && this.cache.total !== null) this.total = this.cache.total;
      })
      .catch((error: unknown) => handleError(error, 'Could not load images'));
  }

  // --- cursor and selection -------------------------------------------------------------------------------

  moveTo(index: number, extend = false): void {
    const i = Math.max(0, Math.min(Math.max(0, this.total - 1), index));
    this.selection.moveTo(i, extend);
    this.cursor = i;
    this.selectionVersion++;
  }

  click(index: number, mods: { shift: boolean; toggle: boolean }): void {
    this.selection.click(index, mods);
    this.cursor = index;
    this.selectionVersion++;
  }

  /** Ctrl+A: every image the filters show (a lassoed cluster, a class, the inbox), loaded or not. */
  selectAll(): void {
    if (this.total > 0) this.selection.selectRange(0, this.total - 1);
    this.selectionVersion++;
  }

  isSelected(index: number): boolean {
    void this.selectionVersion;
    return this.selection.has(index);
  }

  get selectedCount(): number {
    void this.selectionVersion;
    return this.selection.size;
  }

  /**
   * The rows an action applies to: the selection, else the cursor. Rows outside the grid's cache (a select-all of
   * a large filtered set) are read straight from the services in big pages, so the cache is not thrashed and no
   * selected image is silently left out.
   */
  async targetRows(): Promise<ImageRow[]> {
    const indices = this.selection.targets(this.total);
    if (!indices.length) return [];
    const missing = indices.filter((i) => !this.cache.has(i));
    const fetched: Record<number, ImageRow> = {};
    for (const [offset, limit] of spans(missing, TARGET_PAGE)) {
      const page = await backend().api.images.list({ ...this.query, offset, limit });
      page.rows.forEach((row, k) => (fetched[offset + k] = row));
    }
    return indices.map((i) => this.cache.get(i) ?? fetched[i]).filter((r): r is ImageRow => r !== undefined);
  }

  current(): ImageRow | undefined {
    return this.cache.get(this.cursor);
  }

  // --- decisions ------------------------------------------------------------------------------------------

  /** The name is asked for at the first decision (not at start): the dialog resolves with it, or null. */
  private async requireReviewer(): Promise<boolean> {
    return (await settings.ensureReviewer()) !== null;
  }

  decide(action: Action, extra: { newClass?: string; note?: string } = {}): Promise<boolean> {
    return this.track(this.decideNow(action, extra));
  }

  private async decideNow(action: Action, extra: { newClass?: string; note?: string }): Promise<boolean> {
    if (!(await this.requireReviewer())) return false;
    const rows = await this.targetRows();
    return rows.length ? this.decideRows(rows, action, extra) : false;
  }

  async decideRows(
    rows: ImageRow[],
    action: Action,
    extra: { newClass?: string; note?: string } = {},
  ): Promise<boolean> {
    const single = rows.length === 1 && this.selection.size <= 1;
    try {
      const events = await backend().api.review.decide({
        imageIds: rows.map((r) => r.id),
        action,
        ...(extra.newClass !== undefined ? { newClass: extra.newClass } : {}),
        ...(extra.note !== undefined ? { note: extra.note } : {}),
        reviewer: settings.reviewer ?? undefined,
      });
      this.remember(events);
      this.applyEvents(events);
      this.undoStack.push({ kind: 'decisions', ids: rows.map((r) => r.id) });
      appEvents.emit('decisions.changed', { imageIds: rows.map((r) => r.id) });
      if (single) this.moveTo(this.cursor + 1);
      else {
        this.selection.clear();
        this.selectionVersion++;
        toasts.push('info', `${action} × ${rows.length}`);
      }
      return true;
    } catch (error) {
      handleError(error, `Could not record ${action}`);
      return false;
    }
  }

  /** A note on the image under the cursor: re-records its standing decision with the note (or unsure). */
  async note(text: string): Promise<boolean> {
    if (!(await this.requireReviewer())) return false;
    const rows = await this.targetRows();
    if (!rows.length) return false;
    const cursorBefore = this.cursor;
    const byAction: Record<string, ImageRow[]> = {};
    for (const r of rows) {
      const key = `${r.decision?.action ?? 'unsure'}\u0000${r.decision?.newClass ?? ''}`;
      (byAction[key] ??= []).push(r);
    }
    let ok = true;
    for (const [key, group] of Object.entries(byAction)) {
      const [action, newClass] = key.split('\u0000') as [Action, string];
      ok = (await this.decideRows(group, action, { note: text, ...(newClass ? { newClass } : {}) })) && ok;
    }
    this.moveTo(cursorBefore); // a note does not advance
    return ok;
  }

  /**
   * Runs a decision or a label so that `u` waits for it: a `u` pressed while a label is still on its way undoes
   * that label, not the action before it.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const done = () => this.inflight.delete(work);
    work.then(done, done);
    return work;
  }

  /** `u`: undo this session's latest action, decision or label batch (and go back to it); else the targets. */
  async undo(): Promise<void> {
    if (!(await this.requireReviewer())) return;
    await Promise.allSettled([...this.inflight]);
    const entry: UndoEntry = this.undoStack.pop() ?? {
      kind: 'decisions',
      ids: (await this.targetRows()).filter((r) => r.decision).map((r) => r.id),
    };
    const ids = entry.ids;
    if (!ids.length) {
      toasts.push('info', 'Nothing to undo');
      return;
    }
    try {
      const { events, skipped } = await this.undoEntry(entry);
      this.remember(events);
      await this.refreshRows(ids);
      appEvents.emit('decisions.changed', { imageIds: ids });
      const index = this.indexOf(ids[0] ?? -1);
      if (index !== null && ids.length === 1) this.moveTo(index);
      const kept = skipped ? ` · ${skipped} decided again since, left as they are` : '';
      toasts.push('info', `Undone (${events.length})${kept}`);
    } catch (error) {
      this.undoStack.restore(entry);
      handleError(error, 'Could not undo');
    }
  }

  /** A labeling batch undoes as one through its batch id; plain decisions image by image. */
  private async undoEntry(entry: UndoEntry): Promise<{ events: ReviewEvent[]; skipped: number }> {
    const api = backend().api;
    const reviewer = settings.reviewer ?? undefined;
    if (entry.kind === 'decisions') {
      return {
        events: await (reviewer ? api.review.undo(entry.ids, reviewer) : api.review.undo(entry.ids)),
        skipped: 0,
      };
    }
    const events: ReviewEvent[] = [];
    let skipped = 0;
    for (const batchId of entry.batchIds) {
      const r = reviewer ? await api.labeling.undoBatch(batchId, reviewer) : await api.labeling.undoBatch(batchId);
      events.push(...r.events);
      skipped += r.skipped;
    }
    return { events, skipped };
  }

  /**
   * Labels the labeling service recorded (a key, Enter, a bulk accept, a cluster): the rows change in place, the
   * batches undo as one with `u`, and the cursor moves on after a single label as after any decision.
   */
  recordLabels(results: LabelResult[], single: boolean): void {
    const events = results.flatMap((r) => r.events);
    const labelled = new Map(results.flatMap((r) => r.labels).map((l) => [l.imageId, l.class]));
    this.remember(events);
    this.applyEvents(events);
    this.cache.update(
      (r) => labelled.has(r.id),
      (r) => ({ ...r, class: labelled.get(r.id) ?? r.class, classSource: r.role === 'inbox' ? 'label' : 'relabel' }),
    );
    const ids = [...labelled.keys()];
    if (!ids.length) return;
    this.undoStack.push({ kind: 'labels', ids, batchIds: results.map((r) => r.batchId) });
    appEvents.emit('decisions.changed', { imageIds: ids });
    if (single) this.moveTo(this.cursor + 1);
    else {
      this.selection.clear();
      this.selectionVersion++;
    }
  }

  /** Events this window wrote: their echo from the services is not news. */
  private remember(events: ReviewEvent[]): void {
    for (const e of events) this.ownEvents.add(e.id);
    if (this.ownEvents.size > 5000) this.ownEvents = new Set([...this.ownEvents].slice(-2500));
  }

  /** Decisions made elsewhere (another window, the command line): update the rows in place, never jump. */
  async applyRemote(events: ReviewEvent[]): Promise<void> {
    const fresh = events.filter((e) => !this.ownEvents.has(e.id));
    if (!fresh.length) return;
    const undone = fresh.filter((e) => e.action === 'undo').map((e) => e.imageId);
    this.applyEvents(fresh.filter((e) => e.action !== 'undo'));
    try {
      if (undone.length) await this.refreshRows(undone);
    } catch (error) {
      handleError(error, 'Could not refresh the undone images');
    }
    appEvents.emit('decisions.changed', { imageIds: [...new Set(fresh.map((e) => e.imageId))] });
  }

  private indexOf(id: number): number | null {
    for (const page of this.cache.cachedPages()) {
      for (let i = page * PAGE_SIZE; i < (page + 1) * PAGE_SIZE; i++) if (this.cache.get(i)?.id === id) return i;
    }
    return null;
  }

  private applyEvents(events: ReviewEvent[]): void {
    const byImage = new Map(events.map((e) => [e.imageId, e]));
    this.cache.update(
      (r) => byImage.has(r.id),
      (r) => {
        const e = byImage.get(r.id)!;
        if (e.action === 'undo') return { ...r, decision: null };
        return {
          ...r,
          decision: {
            eventId: e.id,
            action: e.action,
            newClass: e.newClass,
            note: e.note,
            reviewer: e.reviewer,
            at: e.at,
          },
        };
      },
    );
  }

  /** After an undo an older decision may stand again: read the rows back rather than guess. */
  private async refreshRows(ids: number[]): Promise<void> {
    if (ids.length > 50) {
      this.reload();
      return;
    }
    const api = backend().api;
    const fresh = await Promise.all(ids.map((id) => api.images.get(id)));
    const byId = new Map(fresh.map((d) => [d.id, d]));
    this.cache.update(
      (r) => byId.has(r.id),
      (r) => {
        const d = byId.get(r.id);
        if (!d) return r;
        return { ...r, decision: d.decision, class: d.class, classSource: d.classSource ?? null };
      },
    );
  }

  // --- histogram and flagged count -------------------------------------------------------------------------

  async loadHistogram(): Promise<void> {
    if (!this.sortedByScore) {
      this.histogram = null;
      return;
    }
    try {
      const { flagged: _f, threshold: _t, sortBy: _s, order: _o, ...rest } = this.query;
      this.histogram = await backend().api.images.histogram(this.sortBy, HISTOGRAM_BINS, rest);
    } catch (error) {
      this.histogram = null;
      if (!String(error).includes('no-run') && !String(error).includes('no project')) {
        handleError(error, 'Could not load the histogram');
      }
    }
  }

  refreshFlagged(): void {
    if (this.flaggedTimer) clearTimeout(this.flaggedTimer);
    this.flaggedExact = null;
    this.flaggedTimer = setTimeout(() => {
      const q: ImageQuery = { ...this.query, flagged: true, offset: 0, limit: 1 };
      const key = this.key;
      backend()
        .api.images.list(q)
        .then((page) => {
          if (key === this.key) this.flaggedExact = page.total;
        })
        .catch(() => (this.flaggedExact = null));
      void this.refreshThresholdPercentile(key);
    }, 120);
  }

  /**
   * The threshold as a person reads it: the share of training images (scored out of fold, so held out) below
   * it. Counted by the services on the same query path as the grid, so it is exact, not read off the bins.
   */
  private async refreshThresholdPercentile(key: string): Promise<void> {
    if (!this.sortedByScore) {
      this.thresholdPercentile = null;
      return;
    }
    const api = backend().api;
    const train: ImageQuery = { role: 'train', status: 'ok', sortBy: this.sortBy, offset: 0, limit: 1 };
    const threshold = this.threshold === null ? {} : { threshold: this.threshold };
    try {
      const [all, above] = await Promise.all([
        api.images.list(train),
        api.images.list({ ...train, ...threshold, flagged: true }),
      ]);
      if (key === this.key) this.thresholdPercentile = all.total ? 1 - above.total / all.total : null;
    } catch {
      if (key === this.key) this.thresholdPercentile = null;
    }
  }

  private fetchPage(offset: number, limit: number) {
    return backend().api.images.list({ ...this.query, offset, limit });
  }
}

export const review = new ReviewState();
