import { describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import {
  createRun,
  currentRun,
  failRun,
  failStaleRuns,
  finishRun,
  getHeatmap,
  getRun,
  getRunImage,
  listRuns,
  percentileOf,
  previousRun,
  scoreDistribution,
  scoresByImage,
  setCurrentRun,
  writeResults,
  type RunOutcome,
} from './runs-repo.js';
import { addScannedSource, memoryProject, scannedFile } from './testing.js';

const outcome: RunOutcome = {
  metrics: { auroc: 0.9 },
  thresholds: { ssod: 0.5 },
  calibratedThresholds: { ssod: 0.95 },
  defaultScorer: 'ssod',
  scorers: ['ssod', 'msp'],
  classes: ['a', 'b'],
  lossCurve: [{ epoch: 1, phase: 'cls', loss: 1.5 }],
  snapshot: { images: 3, decisions: 0, lastEventId: 0 },
  modelPath: 'models/run-1',
};

function setup() {
  const db = memoryProject();
  const { ids } = addScannedSource(db, '/t', 'train', [
    scannedFile('a/1.png'),
    scannedFile('a/2.png'),
    scannedFile('b/3.png'),
  ]);
  return { db, ids: ids as [number, number, number] };
}

describe('runs', () => {
  it('creates running, finishes with everything it produced, maps to RunDetail', () => {
    const { db } = setup();
    const run = createRun(db, { backbone: 'mobilenet_v2', backend: 'wasm', seed: 7, config: { gamma: 0.9 } });
    expect(run).toMatchObject({ status: 'running', isCurrent: false, seed: 7, config: { gamma: 0.9 } });
    const done = finishRun(db, run.id, outcome);
    expect(done).toMatchObject({
      status: 'done',
      metrics: { auroc: 0.9 },
      thresholds: { ssod: 0.5 },
      calibratedThresholds: { ssod: 0.95 },
      scorers: ['ssod', 'msp'],
      classes: ['a', 'b'],
      snapshot: { images: 3, decisions: 0, lastEventId: 0 },
      modelPath: 'models/run-1',
    });
    expect(done.lossCurve).toEqual(outcome.lossCurve);
    expect(
      isAppError(
        capture(() => finishRun(db, run.id, outcome)),
        'invalid-argument',
      ),
    ).toBe(true);
  });

  it('keeps at most one current run, and only a done run can be current', () => {
    const { db } = setup();
    const a = createRun(db, { backbone: 'x', backend: 'cpu', seed: 1, config: {} });
    expect(
      isAppError(
        capture(() => setCurrentRun(db, a.id)),
        'invalid-argument',
      ),
    ).toBe(true);
    finishRun(db, a.id, outcome);
    setCurrentRun(db, a.id);
    const b = createRun(db, { backbone: 'x', backend: 'cpu', seed: 1, config: {} });
    finishRun(db, b.id, outcome);
    setCurrentRun(db, b.id);
    expect(currentRun(db)?.id).toBe(b.id);
    expect(listRuns(db).map((r) => [r.id, r.isCurrent])).toEqual([
      [b.id, true],
      [a.id, false],
    ]);
    expect(previousRun(db, b.id)?.id).toBe(a.id);
    // The database itself refuses a second current run.
    expect(() => db.prepare('UPDATE runs SET is_current = 1 WHERE id = ?').run(a.id)).toThrow(/UNIQUE/);
    setCurrentRun(db, a.id);
    expect(getRun(db, b.id).isCurrent).toBe(false);
  });

  it('fails and cancels running runs; stale running runs are failed at open', () => {
    const { db } = setup();
    const a = createRun(db, { backbone: 'x', backend: 'cpu', seed: 1, config: {} });
    expect(failRun(db, a.id, 'cancelled by user', 'cancelled')).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by user',
    });
    createRun(db, { backbone: 'x', backend: 'cpu', seed: 1, config: {}, ownerPid: 111 });
    const live = createRun(db, { backbone: 'x', backend: 'cpu', seed: 1, config: {}, ownerPid: 222 });
    const legacy = createRun(db, { backbone: 'x', backend: 'cpu', seed: 1, config: {} });
    db.prepare('UPDATE runs SET owner_pid = NULL WHERE id = ?').run(legacy.id);
    // Process 111 is gone, 222 still trains, and a run from before owners were recorded counts as gone.
    expect(failStaleRuns(db, (pid) => pid === 222)).toBe(2);
    expect(listRuns(db).map((r) => r.status)).toEqual(['failed', 'running', 'failed', 'cancelled']);
    expect(getRun(db, live.id).status).toBe('running');
  });

  it('writes results, rescoring replaces them, and serves distributions and heatmaps', () => {
    const { db, ids } = setup();
    const run = createRun(db, { backbone: 'x', backend: 'cpu', seed: 1, config: {} });
    writeResults(db, run.id, [
      {
        imageId: ids[0],
        predicted: 'a',
        top: [{ class: 'a', prob: 0.9 }],
        scores: { ssod: 0.1, msp: 0.3 },
        calibrated: { ssod: 0.25, msp: 0.5 },
        flagged: false,
        heatmap: { h: 1, w: 2, values: new Float32Array([0.25, 0.75]) },
      },
      {
        imageId: ids[1],
        predicted: 'b',
        top: [],
        scores: { ssod: 0.9, msp: 0.2 },
        flagged: true,
        heatmap: { h: 1, w: 2, values: [0.5, 1] },
      },
      { imageId: ids[2], predicted: 'b', top: [], scores: { ssod: 0.5, msp: 0.1 }, flagged: false },
    ]);
    expect(getRunImage(db, run.id, ids[0])).toEqual({
      predicted: 'a',
      top: [{ class: 'a', prob: 0.9 }],
      scores: { ssod: 0.1, msp: 0.3 },
      calibrated: { ssod: 0.25, msp: 0.5 },
      flagged: false,
    });
    expect(Array.from(scoreDistribution(db, run.id, 'ssod'))).toEqual([0.1, 0.5, 0.9]);
    expect(percentileOf(db, run.id, 'ssod', 0.5)).toBeCloseTo(200 / 3);
    expect(percentileOf(db, run.id, 'nope', 0.5)).toBeNull();
    expect(getHeatmap(db, run.id, ids[0])).toEqual({
      h: 1,
      w: 2,
      values: [0.25, 0.75],
      datasetMin: 0.25,
      datasetMax: 1,
    });
    expect(getHeatmap(db, run.id, ids[2])).toBeNull();
    // Rescore image 0 without msp: its stale msp score must leave the sort index.
    writeResults(db, run.id, [{ imageId: ids[0], predicted: 'b', top: [], scores: { ssod: 0.95 }, flagged: true }]);
    expect(scoresByImage(db, run.id, 'msp').has(ids[0])).toBe(false);
    expect(Array.from(scoreDistribution(db, run.id, 'ssod'))).toEqual([0.5, 0.9, 0.95]);
    expect(() =>
      writeResults(db, run.id, [{ imageId: ids[0], predicted: null, top: [], scores: { ssod: NaN }, flagged: null }]),
    ).toThrow(/NaN/);
    // The failed batch rolled back whole.
    expect(getRunImage(db, run.id, ids[0])?.scores).toEqual({ ssod: 0.95 });
    // A result without calibration (a run made before it existed) reads back as an empty map.
    expect(getRunImage(db, run.id, ids[0])?.calibrated).toEqual({});
    expect(() =>
      writeResults(db, run.id, [{ imageId: 999, predicted: null, top: [], scores: { ssod: 1 }, flagged: null }]),
    ).toThrow(/FOREIGN KEY/);
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
