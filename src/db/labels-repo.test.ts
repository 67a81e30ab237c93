import { describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import {
  classLegendCounts,
  getBatch,
  heldOutRows,
  inboxCandidates,
  insertClass,
  listBatches,
  loadCalibration,
  labelOrder,
  replaceLabelOrder,
  saveCalibration,
  standingLabels,
  undoLabelBatch,
  writeLabelBatch,
} from './labels-repo.js';
import { appendDecisions, currentDecisions, rebuildCurrentDecisions } from './review-repo.js';
import { createRun, finishRun, setCurrentRun, writeResults } from './runs-repo.js';
import { addScannedSource, memoryProject, scannedFile } from './testing.js';

function setup() {
  const db = memoryProject();
  const train = addScannedSource(db, '/t', 'train', [scannedFile('cat/1.png'), scannedFile('dog/2.png')]).ids;
  const inbox = addScannedSource(
    db,
    '/in',
    'inbox',
    [1, 2, 3, 4].map((i) => scannedFile(`x${i}.png`)),
  ).ids;
  const run = createRun(db, { backbone: 'test', backend: 'cpu', seed: 1, config: {} });
  const top = (a: string, p: number, b: string) => [
    { class: a, prob: p },
    { class: b, prob: 1 - p },
  ];
  writeResults(db, run.id, [
    { imageId: train[0]!, predicted: 'cat', top: top('cat', 0.9, 'dog'), scores: { ssod: 0.1 }, flagged: false },
    { imageId: train[1]!, predicted: 'cat', top: top('cat', 0.6, 'dog'), scores: { ssod: 0.2 }, flagged: false },
    ...inbox.map((id, i) => ({
      imageId: id,
      predicted: 'dog',
      top: top('dog', 0.7 + i * 0.05, 'cat'),
      scores: { ssod: i / 4 },
      calibrated: { ssod: i / 4 },
      flagged: i === 3,
    })),
  ]);
  finishRun(db, run.id, {
    metrics: {},
    thresholds: { ssod: 0.7 },
    defaultScorer: 'ssod',
    scorers: ['ssod'],
    classes: ['cat', 'dog'],
    lossCurve: [],
    snapshot: { images: 6, decisions: 0, labels: { [train[0]!]: 0, [train[1]!]: 1 } },
    modelPath: null,
  });
  setCurrentRun(db, run.id);
  return { db, train, inbox, runId: run.id };
}

describe('label batches', () => {
  it('writes each label as a relabel event with the suggestion beside it, one batch', () => {
    const { db, inbox, runId } = setup();
    const out = writeLabelBatch(db, {
      labels: [
        { imageId: inbox[0]!, class: 'dog', suggested: 'dog', confidence: 0.8 },
        { imageId: inbox[1]!, class: 'cat', suggested: 'dog', confidence: 0.6 },
      ],
      method: 'bulk',
      reviewer: 'ann',
      runId,
      minConfidence: 0.5,
    });
    expect(out.events.map((e) => [e.imageId, e.action, e.newClass])).toEqual([
      [inbox[0], 'relabel', 'dog'],
      [inbox[1], 'relabel', 'cat'],
    ]);
    expect(out.labels[1]).toMatchObject({ class: 'cat', suggested: 'dog', confidence: 0.6, method: 'bulk', runId });
    expect(getBatch(db, out.batchId)).toMatchObject({ count: 2, standing: 2, minConfidence: 0.5, method: 'bulk' });
    expect(currentDecisions(db).get(inbox[1]!)).toMatchObject({ action: 'relabel', newClass: 'cat' });
    expect(rebuildCurrentDecisions(db)).toEqual([]);
  });

  it('writes nothing when one image of the batch does not exist', () => {
    const { db, inbox, runId } = setup();
    let error: unknown;
    try {
      writeLabelBatch(db, {
        labels: [
          { imageId: inbox[0]!, class: 'dog', suggested: null, confidence: null },
          { imageId: 9999, class: 'dog', suggested: null, confidence: null },
        ],
        method: 'manual',
        reviewer: 'ann',
        runId,
      });
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code).toBe('not-found');
    expect(listBatches(db)).toEqual([]);
    expect(currentDecisions(db).size).toBe(0);
  });

  it('undoes the labels that still stand and skips those decided over since', () => {
    const { db, inbox, runId } = setup();
    const labels = [0, 1, 2].map((i) => ({ imageId: inbox[i]!, class: 'dog', suggested: 'dog', confidence: 0.9 }));
    const { batchId } = writeLabelBatch(db, { labels, method: 'accept', reviewer: 'ann', runId });
    appendDecisions(db, { imageIds: [inbox[2]!], action: 'reject', reviewer: 'bob', runId });
    const undone = undoLabelBatch(db, batchId, 'ann', runId);
    expect(undone.events.map((e) => e.imageId).sort()).toEqual([inbox[0], inbox[1]].sort());
    expect(undone.skipped).toBe(1);
    expect(currentDecisions(db).has(inbox[0]!)).toBe(false);
    expect(currentDecisions(db).get(inbox[2]!)?.action).toBe('reject');
    expect(getBatch(db, batchId)?.standing).toBe(0);
    expect(standingLabels(db)).toEqual([]);
    expect(() => undoLabelBatch(db, 42, 'ann', runId)).toThrow(/no label batch 42/);
  });
});

describe('classes', () => {
  it('lists folder classes by name, then created ones in order, with counts by source', () => {
    const { db, inbox, train, runId } = setup();
    insertClass(db, 'zebra', '2030-01-01T00:00:00.000Z');
    insertClass(db, 'ant', '2030-01-02T00:00:00.000Z');
    expect(() => insertClass(db, 'cat')).toThrow(/exists already/);
    writeLabelBatch(db, {
      labels: [
        { imageId: inbox[0]!, class: 'zebra', suggested: 'dog', confidence: 0.7 },
        { imageId: train[1]!, class: 'cat', suggested: 'cat', confidence: 0.6 },
      ],
      method: 'manual',
      reviewer: 'ann',
      runId,
    });
    appendDecisions(db, { imageIds: [train[0]!], action: 'reject', reviewer: 'ann', runId });
    const legend = classLegendCounts(db);
    expect(legend.map((c) => c.name)).toEqual(['cat', 'dog', 'zebra', 'ant']);
    expect(legend[0]!.bySource).toEqual({ folder: 0, label: 0, relabel: 1 });
    expect(legend[1]!.bySource).toEqual({ folder: 0, label: 0, relabel: 0 });
    expect(legend[2]!.bySource).toEqual({ folder: 0, label: 1, relabel: 0 });
  });
});

describe('what suggestions read', () => {
  it('reads the held-out rows the run trained on, with their class', () => {
    const { db } = setup();
    const held = heldOutRows(db, 1);
    expect(held.classes).toEqual(['cat', 'dog']);
    expect(held.rows.map((r) => [r.truth, r.top[0]!.class])).toEqual([
      ['cat', 'cat'],
      ['dog', 'cat'],
    ]);
  });

  it('streams inbox images with their score, flag and label', () => {
    const { db, inbox, runId } = setup();
    writeLabelBatch(db, {
      labels: [{ imageId: inbox[1]!, class: 'cat', suggested: 'dog', confidence: 0.7 }],
      method: 'manual',
      reviewer: 'ann',
      runId,
    });
    const rows = [...inboxCandidates(db, runId, 'ssod')];
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatchObject({ labelled: 'cat', action: 'relabel', score: 0.25, calibrated: 0.25 });
    expect(rows[3]!.flagged).toBe(true);
  });

  it('keeps a calibration and an informative order per run', () => {
    const { db, inbox, runId } = setup();
    expect(loadCalibration(db, runId)).toBeNull();
    saveCalibration(db, runId, { method: 'temperature', temperature: 1.7, report: { ece: 0.02 } });
    expect(loadCalibration(db, runId)).toMatchObject({ temperature: 1.7, report: { ece: 0.02 } });
    replaceLabelOrder(db, runId, [
      { id: inbox[2]!, score: 0.9 },
      { id: inbox[0]!, score: 0.5 },
    ]);
    replaceLabelOrder(db, runId, [{ id: inbox[1]!, score: 0.4 }]);
    expect([...labelOrder(db, runId)]).toEqual([[inbox[1], { rank: 0, score: 0.4 }]]);
  });
});
