// Another process writing to the open project (the command line, a second app) must show in every open window.
// SQLite's `PRAGMA data_version` changes only when another connection commits, so a poll of it costs one
// pragma; when it moves, what changed is read back and announced with the events the app already sends:
// decisions as `decision.made`, a new current run as `run.done`, a rescan as a finished scan job.
import { cachedByVersion, currentRun, history, lastEventId, listSources, type Db } from '../db/index.js';
import type { ApiEvents, EventName } from '../shared/api.js';
import type { Action, ReviewEvent, RunSummary } from '../shared/dto.js';

export interface EventSink {
  emit<K extends EventName>(name: K, payload: ApiEvents[K]): void;
}

export interface ExternalWriteWatch {
  /** Look now (the timer calls this); returns whether anything was announced. */
  check(): boolean;
  stop(): void;
}

/** At most this many decisions are announced at once; a bigger batch is announced as its newest events. */
const MAX_EVENTS = 2000;

interface Seen {
  version: number;
  eventId: number;
  runId: number | null;
  scannedAt: string;
}

function lastScan(db: Db): string {
  return listSources(db)
    .map((s) => `${s.id}:${s.lastScanAt ?? ''}:${s.counts.ok}:${s.counts.error}:${s.counts.missing}`)
    .join('|');
}

function snapshot(db: Db): Seen {
  return {
    version: db.pragma('data_version', { simple: true }) as number,
    eventId: lastEventId(db),
    runId: currentRun(db)?.id ?? null,
    // Counting every image's status per source takes ~0.1 s at 1,000,000 images: not on every 500 ms poll, only
    // after the data changed.
    scannedAt: cachedByVersion(db, 'external-writes:last-scan', () => lastScan(db)),
  };
}

function summary(db: Db): RunSummary | null {
  const run = currentRun(db);
  if (!run) return null;
  const { modelPath: _m, lossCurve: _l, classes: _c, snapshot: _s, ...rest } = run;
  return rest;
}

function announceDecisions(db: Db, since: number, until: number, sink: EventSink): void {
  const events = history(db, { limit: Math.min(MAX_EVENTS, until - since) })
    .filter((e) => e.id > since)
    .reverse();
  const byAction = new Map<Action | 'undo', ReviewEvent[]>();
  for (const e of events) byAction.set(e.action, [...(byAction.get(e.action) ?? []), e]);
  for (const [action, list] of byAction) sink.emit('decision.made', { events: list, action });
}

let externalScans = 0;

export function watchExternalWrites(db: Db, sink: EventSink, intervalMs = 500): ExternalWriteWatch {
  let seen = snapshot(db);
  const check = (): boolean => {
    if (!db.open) {
      stop();
      return false;
    }
    const now = snapshot(db);
    const before = seen;
    seen = now;
    // Our own commits do not move data_version: nothing to announce, only the marks move on.
    if (now.version === before.version) return false;
    let announced = false;
    if (now.eventId > before.eventId) {
      announceDecisions(db, before.eventId, now.eventId, sink);
      announced = true;
    }
    if (now.runId !== before.runId) {
      const run = summary(db);
      if (run) sink.emit('run.done', run);
      announced = true;
    }
    if (now.scannedAt !== before.scannedAt) {
      sink.emit('job.finished', { jobId: `external-scan-${++externalScans}`, kind: 'scan', outcome: 'done' });
      announced = true;
    }
    return announced;
  };
  const timer = setInterval(() => {
    try {
      check();
    } catch {
      // A busy or closing database: look again at the next tick.
    }
  }, intervalMs);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  return { check, stop };
}

const watches = new WeakMap<object, ExternalWriteWatch>();

/** One watch per services instance, following whichever project it has open (none: `db` null). */
export function followProject(owner: object, db: Db | null, sink: EventSink): void {
  watches.get(owner)?.stop();
  watches.delete(owner);
  if (db) watches.set(owner, watchExternalWrites(db, sink));
}
