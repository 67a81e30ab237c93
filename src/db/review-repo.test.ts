import { describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import {
  allEvents,
  appendDecisions,
  currentDecisions,
  decisionCounts,
  history,
  lastEventId,
  rebuildCurrentDecisions,
  undoDecisions,
} from './review-repo.js';
import { getImage, listClasses } from './images-repo.js';
import { addScannedSource, finishedRun, memoryProject, scannedFile } from './testing.js';

function setup() {
  const db = memoryProject();
  const { ids } = addScannedSource(db, '/t', 'train', [
    scannedFile('a/1.png'),
    scannedFile('a/2.png'),
    scannedFile('b/3.png'),
  ]);
  const runId = finishedRun(db, [
    { imageId: ids[0] ?? 0, predicted: 'a', top: [], scores: { ssod: 0.2, msp: 0.1 }, flagged: false },
    { imageId: ids[1] ?? 0, predicted: 'b', top: [], scores: { ssod: 0.8, msp: 0.7 }, flagged: true },
  ]);
  return { db, ids: ids as [number, number, number], runId };
}

function standing(db: ReturnType<typeof setup>['db'], id: number) {
  return currentDecisions(db).get(id) ?? null;
}

describe('review events', () => {
  it('appends one event per image in one transaction, snapshotting scores of the run', () => {
    const { db, ids, runId } = setup();
    const events = appendDecisions(db, {
      imageIds: [ids[0], ids[1], ids[0]],
      action: 'reject',
      note: ' odd ',
      reviewer: 'ann',
      runId,
      at: 'T1',
    });
    expect(events.map((e) => [e.imageId, e.action, e.note, e.reviewer, e.at, e.runId])).toEqual([
      [ids[0], 'reject', 'odd', 'ann', 'T1', runId],
      [ids[1], 'reject', 'odd', 'ann', 'T1', runId],
    ]);
    expect(events[1]?.scores).toEqual({ ssod: 0.8, msp: 0.7 });
    expect(events[0]?.path).toBeUndefined();
    expect(getImage(db, ids[1], runId).decision).toMatchObject({
      action: 'reject',
      reviewer: 'ann',
      note: 'odd',
      eventId: events[1]?.id,
    });
    expect(decisionCounts(db)).toEqual({ reject: 2 });
  });

  it('is all-or-nothing: one unknown id aborts the whole batch', () => {
    const { db, ids, runId } = setup();
    const error = capture(() =>
      appendDecisions(db, { imageIds: [ids[0], 424242], action: 'keep', reviewer: 'ann', runId }),
    );
    expect(isAppError(error, 'not-found')).toBe(true);
    expect(lastEventId(db)).toBe(0);
    expect(currentDecisions(db).size).toBe(0);
  });

  it('validates action, class and reviewer', () => {
    const { db, ids } = setup();
    const bad = [
      () => appendDecisions(db, { imageIds: [ids[0]], action: 'relabel', reviewer: 'ann', runId: null }),
      () => appendDecisions(db, { imageIds: [ids[0]], action: 'keep', newClass: 'b', reviewer: 'ann', runId: null }),
      () => appendDecisions(db, { imageIds: [ids[0]], action: 'keep', reviewer: '  ', runId: null }),
      () => appendDecisions(db, { imageIds: [], action: 'keep', reviewer: 'ann', runId: null }),
      () => appendDecisions(db, { imageIds: [ids[0]], action: 'delete' as 'keep', reviewer: 'ann', runId: null }),
    ];
    for (const fn of bad) expect(isAppError(capture(fn), 'invalid-argument')).toBe(true);
    const [e] = appendDecisions(db, {
      imageIds: [ids[0]],
      action: 'relabel',
      newClass: 'zebra',
      reviewer: 'ann',
      runId: null,
    });
    expect(e?.newClass).toBe('zebra');
    expect(listClasses(db)).toContain('zebra');
  });

  it('cannot be updated or deleted, by anyone', () => {
    const { db, ids } = setup();
    appendDecisions(db, { imageIds: [ids[0]], action: 'keep', reviewer: 'ann', runId: null });
    expect(() => db.prepare("UPDATE review_events SET reviewer = 'eve'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM review_events').run()).toThrow(/append-only/);
    expect(history(db)).toHaveLength(1);
  });

  it('undo restores the previous standing decision, then none; nothing to undo is skipped', () => {
    const { db, ids, runId } = setup();
    const [keep] = appendDecisions(db, { imageIds: [ids[0]], action: 'keep', reviewer: 'ann', runId });
    const [reject] = appendDecisions(db, { imageIds: [ids[0]], action: 'reject', reviewer: 'bob', runId });
    expect(standing(db, ids[0])?.eventId).toBe(reject?.id);
    const [u1] = undoDecisions(db, [ids[0]], 'bob', runId);
    expect(u1).toMatchObject({ action: 'undo', undoes: reject?.id, reviewer: 'bob', scores: { ssod: 0.2, msp: 0.1 } });
    expect(standing(db, ids[0])).toEqual({ eventId: keep?.id, action: 'keep', newClass: null });
    // A new decision after an undo, then undo twice: back through keep to nothing.
    const [relabel] = appendDecisions(db, {
      imageIds: [ids[0]],
      action: 'relabel',
      newClass: 'b',
      reviewer: 'ann',
      runId,
    });
    expect(standing(db, ids[0])).toEqual({ eventId: relabel?.id, action: 'relabel', newClass: 'b' });
    expect(undoDecisions(db, [ids[0]], 'ann')[0]?.undoes).toBe(relabel?.id);
    expect(undoDecisions(db, [ids[0]], 'ann')[0]?.undoes).toBe(keep?.id);
    expect(standing(db, ids[0])).toBeNull();
    expect(getImage(db, ids[0]).decision).toBeNull();
    expect(undoDecisions(db, [ids[0], ids[1]], 'ann')).toEqual([]);
    expect(rebuildCurrentDecisions(db)).toEqual([]);
    expect(history(db, { imageId: ids[0] }).map((e) => e.action)).toEqual([
      'undo',
      'undo',
      'relabel',
      'undo',
      'reject',
      'keep',
    ]);
  });

  it('keeps exactly one current row per decided image, matching a rebuild from the events', () => {
    const { db, ids } = setup();
    const actions = ['keep', 'reject', 'unsure', 'keep'] as const;
    for (const action of actions) appendDecisions(db, { imageIds: ids, action, reviewer: 'ann', runId: null });
    undoDecisions(db, [ids[1]], 'ann');
    const rows = db.prepare('SELECT image_id, count(*) AS n FROM current_decisions GROUP BY image_id').all();
    expect(rows).toHaveLength(3);
    expect(standing(db, ids[1])?.action).toBe('unsure');
    expect(standing(db, ids[2])?.action).toBe('keep');
    expect(rebuildCurrentDecisions(db)).toEqual([]);
    // Damage the derived table: the rebuild finds and repairs it.
    db.prepare('DELETE FROM current_decisions WHERE image_id = ?').run(ids[2]);
    expect(rebuildCurrentDecisions(db, { fix: true })).toEqual([ids[2]]);
    expect(rebuildCurrentDecisions(db)).toEqual([]);
  });

  it('history pages newest first with paths; allEvents streams oldest first', () => {
    const { db, ids } = setup();
    appendDecisions(db, { imageIds: [ids[0]], action: 'keep', reviewer: 'ann', runId: null });
    appendDecisions(db, { imageIds: [ids[1]], action: 'reject', reviewer: 'ann', runId: null });
    appendDecisions(db, { imageIds: [ids[2]], action: 'unsure', reviewer: 'ann', runId: null });
    const page = history(db, { limit: 2 });
    expect(page.map((e) => e.imageId)).toEqual([ids[2], ids[1]]);
    expect(page[0]?.path).toBe('/t/b/3.png');
    expect(history(db, { beforeId: page[1]?.id }).map((e) => e.imageId)).toEqual([ids[0]]);
    expect([...allEvents(db)].map((e) => e.action)).toEqual(['keep', 'reject', 'unsure']);
    expect(lastEventId(db)).toBe(page[0]?.id);
  });
});

function capture(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
