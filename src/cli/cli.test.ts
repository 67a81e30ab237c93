// `ssod` commands in-process through main(argv, io): exit codes, --json shapes, and user mistakes as one-line
// messages. Training runs the real engine process with the pixel-statistics backbone double (seconds, not
// minutes); one test runs the real binary to prove errors reach the terminal without a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EvalReport,
  ExportResult,
  ImageRow,
  ProjectInfo,
  ProjectStatus,
  ReviewEvent,
  RunDetail,
  RunDiff,
  RunSummary,
  ScanSummary,
  SourceInfo,
  VerifyResult,
} from '../shared/dto.js';
import { BLUE, GREEN, RED, colourSet, pixelEngineFactory } from '../services/testing/curate-fixture.js';
import { ssodRunner, type Ran } from './testing/run-ssod.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let project: string;
let data: string;

const cli = ssodRunner(() => ({ dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() }));
const { run: ssod, json, jsonLines } = cli;

/** A user mistake: non-zero exit, exactly one line on stderr (plus usage for bad arguments), no stack. */
function expectOneLineError(r: Ran, code: number, message: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.out).toBe('');
  const first = r.err.split('\n')[0]!;
  expect(first).toMatch(/^ssod( \w+)?: /);
  expect(first).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
  if (!/usage:/.test(r.err)) expect(r.err.trim().split('\n')).toHaveLength(1);
}

const TRAIN = ['--epochs', '3', '--folds', '2', '--seed', '5', '--backbone', 'pixel'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-cli-'));
  project = join(dir, 'project');
  data = join(dir, 'data');
  await colourSet(join(data, 'train', 'red'), 'r', RED, 8, 1);
  await colourSet(join(data, 'train', 'blue'), 'b', BLUE, 8, 100);
  await colourSet(join(data, 'inbox'), 'red', RED, 3, 200);
  await colourSet(join(data, 'inbox'), 'green', GREEN, 3, 300);
  await colourSet(join(data, 'ood'), 'g', GREEN, 4, 400);
  await colourSet(join(data, 'id', 'red'), 'r', RED, 3, 500);
  await colourSet(join(data, 'id', 'blue'), 'b', BLUE, 3, 600);
}, 30_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ssod (in-process)', () => {
  let rows: (ImageRow & { source: string })[];

  it('init creates a project and refuses an existing one', async () => {
    const info = await json<ProjectInfo>('init', project, '--name', 'CLI test');
    expect(info).toMatchObject({ path: project, name: 'CLI test' });
    expect(info.schemaVersion).toBeGreaterThan(0);
    expectOneLineError(await ssod('init', project), 1, /already exists/);
  });

  it('add registers a source and scans it; a missing folder is a one-line error', async () => {
    const added = await json<{ source: SourceInfo; scan: ScanSummary }>(
      'add',
      project,
      join(data, 'train'),
      '--role',
      'train',
    );
    expect(added.source).toMatchObject({ path: join(data, 'train'), role: 'train' });
    expect(added.scan).toMatchObject({ files: 16, added: 16, changed: 0, missing: 0, errors: {} });
    const inbox = await ssod('add', project, join(data, 'inbox'), '--role', 'inbox');
    expect(inbox.code).toBe(0);
    expect(inbox.out).toMatch(/added inbox source .*\nscanned 6 files/);
    expectOneLineError(await ssod('add', project, join(data, 'nope'), '--role', 'train'), 1, /no such folder/);
    expectOneLineError(await ssod('add', project, join(data, 'ood')), 2, /--role must be train or inbox/);
  });

  it('scan rescans incrementally', async () => {
    expect(await json<ScanSummary>('scan', project)).toMatchObject({ files: 22, added: 0, unchanged: 22 });
  });

  it('status gives counts per source, class and status', async () => {
    const status = await json<ProjectStatus>('status', project);
    expect(status.project.path).toBe(project);
    expect(status.sources).toHaveLength(2);
    expect(status.classes).toEqual(
      expect.arrayContaining([
        { name: 'red', count: 8 },
        { name: 'blue', count: 8 },
      ]),
    );
    expect(status.byStatus).toMatchObject({ ok: 22 });
    expect(status.currentRun).toBeNull();
  });

  it('list --json gives one JSON line per image with the documented fields', async () => {
    rows = await jsonLines<ImageRow & { source: string }>('list', project);
    expect(rows).toHaveLength(22);
    for (const r of rows) {
      for (const key of ['path', 'source', 'role', 'class', 'status', 'predicted', 'scores', 'flagged', 'decision']) {
        expect(r).toHaveProperty(key);
      }
      expect(isAbsolute(r.path)).toBe(true);
      expect(r.path.startsWith(r.source + '/')).toBe(true);
      expect(r.source).toBe(join(data, r.role));
      expect(r.scores).toEqual({});
      expect(r.predicted).toBeNull();
    }
    expect(rows.find((r) => r.relPath === 'red/r0.png')).toMatchObject({ class: 'red', role: 'train', status: 'ok' });
    const inboxOnly = await jsonLines<ImageRow>('list', project, '--role', 'inbox', '--limit', '4');
    expect(inboxOnly).toHaveLength(4);
    expect(inboxOnly.every((r) => r.role === 'inbox')).toBe(true);
    const text = await ssod('list', project, '--limit', '2');
    expect(text.out).toMatch(/… 20 more/);
  });

  it('review records keep, reject, relabel, unsure and undo; history prints the trail', async () => {
    const r0 = join(data, 'train', 'red', 'r0.png');
    expectOneLineError(await ssod('review', project, r0, '--keep'), 2, /reviewer/);
    const keep = await json<ReviewEvent>('review', project, r0, '--keep', '--reviewer', 'ann', '--note', 'fine');
    expect(keep).toMatchObject({ action: 'keep', reviewer: 'ann', note: 'fine' });
    expect(keep.imageId).toBe(rows.find((r) => r.path === r0)!.id);
    const green = rows.filter((r) => r.relPath.startsWith('green')).map((r) => String(r.id));
    for (const id of green.slice(0, 2)) {
      expect((await json<ReviewEvent>('review', project, id, '--reject', '--reviewer', 'ann')).action).toBe('reject');
    }
    const relabel = await json<ReviewEvent>('review', project, 'blue/b0.png', '--relabel', 'red', '--reviewer', 'ann');
    expect(relabel).toBeTruthy();
    const b1 = join(data, 'train', 'blue', 'b1.png');
    expect(await json<ReviewEvent>('review', project, b1, '--relabel', 'red', '--reviewer', 'ann')).toMatchObject({
      action: 'relabel',
      newClass: 'red',
    });
    expect((await json<ReviewEvent>('review', project, b1, '--unsure', '--reviewer', 'ann')).action).toBe('unsure');
    const undo = await json<ReviewEvent>('review', project, b1, '--undo', '--reviewer', 'ann');
    expect(undo.action).toBe('undo');
    expect(undo.undoes).toEqual(expect.any(Number) as number);
    expectOneLineError(await ssod('review', project, r0, '--keep', '--reject'), 2, /exactly one of/);
    expectOneLineError(await ssod('review', project, join(data, 'nope.png'), '--keep'), 1, /nope\.png/);

    const all = await jsonLines<ReviewEvent>('history', project);
    expect(all.map((e) => e.action).sort()).toEqual(
      ['keep', 'reject', 'reject', 'relabel', 'relabel', 'unsure', 'undo'].sort(),
    );
    const ofB1 = await jsonLines<ReviewEvent>('history', project, b1);
    expect(ofB1.map((e) => e.action).sort()).toEqual(['relabel', 'undo', 'unsure']);
    // After the undo, b1's standing decision is the relabel again, so it lists under the class training uses.
    const listed = await jsonLines<ImageRow>('list', project, '--class', 'red');
    const row = listed.find((r) => r.path === b1)!;
    expect(row.decision).toMatchObject({ action: 'relabel', newClass: 'red' });
    expect(row).toMatchObject({ class: 'red', classSource: 'relabel' });
    expect((await jsonLines<ImageRow>('list', project, '--class', 'blue')).some((r) => r.path === b1)).toBe(false);
  });

  let run: RunDetail;

  it('train --json trains, scores everything and prints the run', async () => {
    run = await json<RunDetail>('train', project, ...TRAIN);
    expect(run).toMatchObject({
      status: 'done',
      isCurrent: true,
      seed: 5,
      backbone: 'pixel',
      classes: ['blue', 'red'],
    });
    expect(run.scorers).toContain(run.defaultScorer);
    expect(run.thresholds[run.defaultScorer]).toEqual(expect.any(Number));
    const listed = await jsonLines<ImageRow>('list', project);
    for (const r of listed) {
      expect(Object.keys(r.scores).sort()).toEqual([...run.scorers].sort());
      expect(typeof r.flagged).toBe('boolean');
      expect(['red', 'blue']).toContain(r.predicted);
      // Calibrated figures sit beside the unchanged scores map, one per scorer, on [0, 1], flagged above the
      // calibrated threshold exactly when above the raw one.
      expect(Object.keys(r.calibrated).sort()).toEqual([...run.scorers].sort());
      for (const v of Object.values(r.calibrated)) expect(v >= 0 && v <= 1).toBe(true);
      const d = run.defaultScorer;
      expect(r.calibrated[d]! > run.calibratedThresholds![d]!).toBe(r.flagged);
    }
    const pct = await ssod('list', project, '--limit', '1');
    expect(pct.out).toMatch(/\d+\.\d%/);
    const raw = await ssod('list', project, '--limit', '1', '--raw');
    expect(raw.out).not.toMatch(/\d%/);
    expectOneLineError(await ssod('train', project, '--epochs', 'abc'), 2, /--epochs must be an integer/);
    expectOneLineError(await ssod('train', project, '--mode', 'fast'), 2, /--mode must be heads, end-to-end or adapt/);
    expectOneLineError(await ssod('train', project, '--crops', '17'), 2, /--crops/);
    expectOneLineError(await ssod('train', project, '--crops', 'two'), 2, /--crops/);
  }, 60_000);

  it('score scores images added after training', async () => {
    await colourSet(join(data, 'inbox'), 'late', BLUE, 2, 700);
    expect((await json<ScanSummary>('scan', project)).added).toBe(2);
    expect(await json<{ scored: number; runId: number }>('score', project)).toEqual({ scored: 2, runId: run.id });
    expect(await json<{ scored: number }>('score', project)).toMatchObject({ scored: 0 });
  }, 60_000);

  it('eval --ood FOLDER --json reports every scorer, and --plot writes a PNG', async () => {
    const plot = join(dir, 'roc.png');
    const report = await json<EvalReport>(
      'eval',
      project,
      '--ood',
      join(data, 'ood'),
      '--id',
      join(data, 'id'),
      '--plot',
      plot,
    );
    expect(report).toMatchObject({ idCount: 6, oodCount: 4 });
    expect(Object.keys(report.perScorer).sort()).toEqual([...run.scorers].sort());
    for (const m of Object.values(report.perScorer)) {
      expect(Object.keys(m).sort()).toEqual(['auprIn', 'auprOut', 'auroc', 'fpr95']);
    }
    expect(report.idAccuracy).toEqual(expect.any(Number));
    const png = await readFile(plot);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expectOneLineError(await ssod('eval', project), 2, /--ood FOLDER or --from-reviews/);
    expectOneLineError(await ssod('eval', project, '--ood', join(dir, 'missing')), 1, /missing/);
  }, 60_000);

  it('eval --from-reviews --json rests on the reviewers’ decisions', async () => {
    const report = await json<EvalReport>('eval', project, '--from-reviews');
    expect(report).toMatchObject({ idCount: 1, oodCount: 2 });
    expect(report.perScorer[run.defaultScorer]).toBeDefined();
    expect(report.suggestedThreshold?.scorer).toBe(run.defaultScorer);
  });

  it('runs, diff and runs --use work across two runs', async () => {
    expectOneLineError(await ssod('diff', project), 1, /no earlier run/);
    const second = await json<RunDetail>('train', project, ...TRAIN, '--seed', '6');
    const runs = await jsonLines<RunSummary>('runs', project);
    expect(runs.map((r) => [r.id, r.isCurrent]).sort()).toEqual([
      [run.id, false],
      [second.id, true],
    ]);
    const diff = await json<RunDiff>('diff', project);
    expect(diff).toMatchObject({ runA: run.id, runB: second.id, scorer: second.defaultScorer });
    for (const key of ['newlyFlagged', 'newlyCleared', 'largestChanges', 'perClass'] as const) {
      expect(Array.isArray(diff[key])).toBe(true);
    }
    expect(diff.largestChanges.length).toBeGreaterThan(0);
    const explicit = await json<RunDiff>('diff', project, String(second.id), String(run.id), '--limit', '3');
    expect(explicit).toMatchObject({ runA: second.id, runB: run.id });
    expect(explicit.largestChanges.length).toBeLessThanOrEqual(3);
    expectOneLineError(await ssod('diff', project, 'x'), 2, /not a run id/);
    const used = await jsonLines<RunSummary>('runs', project, '--use', String(run.id));
    expect(used.find((r) => r.isCurrent)?.id).toBe(run.id);
  }, 60_000);

  it('export writes the curated dataset and verify re-hashes it', async () => {
    const out = join(dir, 'export');
    const result = await json<ExportResult>('export', project, out, '--mode', 'hardlink');
    // 16 train images: the relabels stay, nothing in train was rejected.
    expect(result).toMatchObject({ out, images: 16, format: 'imagefolder', mode: 'hardlink' });
    expect(await json<VerifyResult>('verify', out)).toMatchObject({ ok: true, mismatched: [], missing: [] });
    const manifest = await readFile(join(out, 'manifest.csv'), 'utf8');
    expect(manifest).toMatch(/^images\/red\/b1\.png,red,blue,/m);
    expectOneLineError(await ssod('export', project, out), 1, /not empty/);
    expectOneLineError(await ssod('export', project, join(data, 'train', 'x')), 1, /source folder/);
    expectOneLineError(await ssod('export', project, join(dir, 'e2'), '--mode', 'move'), 2, /--mode must be/);

    const copy = join(dir, 'export-copy');
    expect((await ssod('export', project, copy)).out).toMatch(/^exported 16 images/);
    await writeFile(join(copy, 'images', 'red', 'r0.png'), 'edited');
    const bad = await ssod('verify', copy);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/FAILED[\s\S]*changed: images\/red\/r0\.png/);
    expectOneLineError(await ssod('verify', data), 1, /not an export/);
  }, 60_000);

  it('turns user mistakes into one-line errors with a non-zero exit', async () => {
    const empty = join(dir, 'not-a-project');
    await mkdir(empty);
    expectOneLineError(await ssod('status', empty), 1, /not an SSOD Audit project/);
    expectOneLineError(await ssod('status', join(dir, 'absent')), 1, /no such folder/);
    expectOneLineError(await ssod('list', project, '--bogus'), 2, /bogus/);
    expectOneLineError(await ssod('list', project, '--limit', '0'), 2, /--limit/);
    expectOneLineError(await ssod('status'), 2, /expected DIR/);
    expectOneLineError(await ssod('status', project, 'extra'), 2, /unexpected argument 'extra'/);
    const unknown = await ssod('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^ssod: unknown command 'frobnicate'/);
    expect((await ssod('--help')).code).toBe(0);
    expect((await ssod('status', '--help')).out).toMatch(/^usage: ssod status DIR/);

    // A project written by a newer version of the app is refused, not migrated backwards.
    const newer = join(dir, 'newer');
    expect((await ssod('init', newer)).code).toBe(0);
    const db = new Database(join(newer, 'project.db'));
    db.pragma('user_version = 999');
    db.close();
    expectOneLineError(await ssod('status', newer), 1, /newer/);
  });
});

describe('ssod (the real binary)', () => {
  it('prints a one-line error and exits 1 for a missing folder, without a stack trace', () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'ssod.js'), 'add', project, join(data, 'nope'), '--role', 'train'],
      {
        encoding: 'utf8',
        env: { ...process.env, SSOD_HOME: join(dir, 'home'), SSOD_DEBUG: '' },
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`ssod add: no such folder: ${join(data, 'nope')}`]);
  }, 60_000);
});
