// The services without training: sources, review decisions and their audit trail, and the export (layout,
// manifests, hashes, relabels, rejections, modes, refusals) with every source file proven byte-for-byte
// unchanged. The kill-during-export test lives with the reliability tests.
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportOptions, ExportResult, ImageRow, ReviewEvent } from '../shared/dto.js';
import { isAppError } from '../shared/errors.js';
import { createServices, type Services } from './create-services.js';
import { BLUE, RED, colourPng, colourSet, hashTree, listTree, pixelEngineFactory } from './testing/curate-fixture.js';

let dir: string;
let data: string;
let services: Services;
let sourcesBefore: Map<string, string>;
let byPath: Map<string, ImageRow>;

const img = (key: string): ImageRow => {
  const row = byPath.get(key);
  if (!row) throw new Error(`no image ${key}`);
  return row;
};

function appErrorCode(code: string, message?: RegExp): (e: unknown) => boolean {
  return (e) => isAppError(e) && e.code === code && (!message || message.test(e.message));
}

async function exportTo(options: ExportOptions): Promise<ExportResult> {
  const ref = await services.api.jobs.export(options);
  const result = await services.api.jobs.wait(ref.id);
  if (result.outcome !== 'done') {
    const error = new Error(result.error ?? result.outcome) as Error & { outcome: string };
    error.outcome = result.outcome;
    throw error;
  }
  return result.result as ExportResult;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-services-'));
  data = join(dir, 'data');
  await colourSet(join(data, 'train', 'red'), 'r', RED, 4, 1);
  await colourSet(join(data, 'train', 'blue'), 'b', BLUE, 4, 100);
  // Same base name in both classes: relabelling blue/same.png to red must not overwrite red/same.png.
  await colourPng(join(data, 'train', 'red', 'same.png'), RED, 200);
  await colourPng(join(data, 'train', 'blue', 'same.png'), RED, 201);
  await colourSet(join(data, 'inbox'), 'x', BLUE, 2, 300);
  sourcesBefore = await hashTree(data);

  services = createServices({ dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() });
  const { api } = services;
  await api.projects.create(join(dir, 'project'), 'services test');
  for (const role of ['train', 'inbox'] as const) {
    const source = await api.sources.add(join(data, role), role);
    expect((await api.jobs.wait((await api.jobs.scan(source.id)).id)).outcome).toBe('done');
  }
  const rows = (await api.images.list({ limit: 1000 })).rows;
  byPath = new Map(rows.map((r) => [`${r.role}/${r.relPath}`, r]));
}, 60_000);

afterAll(async () => {
  await services?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sources', () => {
  it('lists images with absolute paths, roles and classes from the folder layout', () => {
    expect(byPath.size).toBe(12);
    expect(img('train/red/r0.png')).toMatchObject({
      path: join(data, 'train', 'red', 'r0.png'),
      role: 'train',
      class: 'red',
      status: 'ok',
      decision: null,
    });
    expect(img('inbox/x0.png')).toMatchObject({ role: 'inbox', class: null });
  });

  it('refuses a missing folder, an overlapping one and one holding the project', async () => {
    await expect(services.api.sources.add(join(data, 'nope'), 'train')).rejects.toSatisfy(appErrorCode('not-found'));
    await expect(services.api.sources.add(join(data, 'train', 'red'), 'train')).rejects.toSatisfy(
      appErrorCode('refused', /overlaps/),
    );
    await expect(services.api.sources.add(dir, 'train')).rejects.toSatisfy(appErrorCode('refused'));
    // A role outside the contract is refused before any service runs: src/server/bad-input.test.ts.
  });
});

describe('review', () => {
  it('needs a reviewer name before the first decision', async () => {
    const id = img('train/red/r1.png').id;
    await expect(services.api.review.decide({ imageIds: [id], action: 'keep' })).rejects.toSatisfy(
      appErrorCode('invalid-argument', /reviewer/),
    );
    await services.api.settings.set({ reviewer: 'alice' });
    // A relabel without a class and a blank name are refused by the one schema: src/server/bad-input.test.ts.
  });

  it('records decisions and undos as an append-only audit trail', async () => {
    const { review, images } = services.api;
    const r0 = img('train/red/r0.png').id;
    const r1 = img('train/red/r1.png').id;
    const kept = await review.decide({ imageIds: [r0, r1], action: 'keep', note: ' ok ' });
    expect(kept).toHaveLength(2);
    expect(kept[0]).toMatchObject({ imageId: r0, action: 'keep', reviewer: 'alice', note: 'ok' });
    // Changing one's mind: reject r0 by another reviewer, then undo it; r0 is kept again.
    await review.decide({ imageIds: [r0], action: 'reject', reviewer: 'bob' });
    const undone = await review.undo([r0], 'bob');
    expect(undone[0]).toMatchObject({ imageId: r0, action: 'undo', reviewer: 'bob' });
    const trail = await review.history(r0);
    expect(trail.map((e: ReviewEvent) => e.action).sort()).toEqual(['keep', 'reject', 'undo']);
    expect(trail.find((e) => e.action === 'undo')!.undoes).toBe(trail.find((e) => e.action === 'reject')!.id);
    expect((await images.get(r0)).decision).toMatchObject({ action: 'keep', reviewer: 'alice' });
    expect(await images.resolve(join(data, 'train', 'red', 'r0.png'))).toBe(r0);
    expect(await images.resolve(String(r0))).toBe(r0);
    await expect(images.resolve(join(data, 'train', 'red', 'nope.png'))).rejects.toSatisfy(isAppError);
  });
});

describe('export', () => {
  let out: string;
  let result: ExportResult;

  beforeAll(async () => {
    const { review } = services.api;
    await review.decide({ imageIds: [img('train/red/r2.png').id], action: 'reject', note: 'not a red thing' });
    await review.decide({ imageIds: [img('train/blue/b0.png').id], action: 'relabel', newClass: 'red' });
    await review.decide({ imageIds: [img('train/blue/same.png').id], action: 'relabel', newClass: 'red' });
    await review.decide({ imageIds: [img('train/blue/b1.png').id], action: 'unsure' });
    out = join(dir, 'exports', 'curated');
    await mkdir(dirname(out));
    result = await exportTo({ out });
  }, 30_000);

  it('writes the train images minus rejected ones, relabels applied, in class folders', async () => {
    expect(result).toMatchObject({ out, images: 9, format: 'imagefolder', mode: 'copy' });
    expect(await listTree(join(out, 'images'))).toEqual([
      'blue/b1.png',
      'blue/b2.png',
      'blue/b3.png',
      'red/b0.png',
      'red/r0.png',
      'red/r1.png',
      'red/r3.png',
      // The clash is resolved deterministically: sorted by relative path, blue/same.png comes first.
      'red/same.png',
      'red/same~1.png',
    ]);
    expect(await readFile(join(out, 'images', 'red', 'same.png'))).toEqual(
      await readFile(join(data, 'train', 'blue', 'same.png')),
    );
    expect(await readFile(join(out, 'images', 'red', 'same~1.png'))).toEqual(
      await readFile(join(data, 'train', 'red', 'same.png')),
    );
    expect(result.bytes).toBe(
      (await Promise.all((await listTree(join(out, 'images'))).map((f) => stat(join(out, 'images', f))))).reduce(
        (a, s) => a + s.size,
        0,
      ),
    );
    // Nothing of the staging folder is left beside OUT.
    expect(await readdir(dirname(out))).toEqual(['curated']);
  });

  it('writes manifest.csv and manifest.json with class, original class, sha256, decision, reviewer, run', async () => {
    const json = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      images: Record<string, unknown>[];
      include: string;
    };
    expect(json.include).toBe('train');
    expect(json.images).toHaveLength(9);
    const b0 = json.images.find((r) => r.path === 'images/red/b0.png')!;
    expect(b0).toMatchObject({
      class: 'red',
      original_class: 'blue',
      decision: 'relabel',
      reviewer: 'alice',
      source_path: join(data, 'train', 'blue', 'b0.png'),
      run_id: null,
    });
    expect(b0.sha256).toBe(sha(await readFile(join(data, 'train', 'blue', 'b0.png'))));
    expect(json.images.find((r) => r.path === 'images/blue/b1.png')).toMatchObject({ decision: 'unsure' });

    const csv = (await readFile(join(out, 'manifest.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv[0]!.split(',').slice(0, 9)).toEqual([
      'path',
      'class',
      'original_class',
      'sha256',
      'decision',
      'reviewer',
      'time',
      'note',
      'run_id',
    ]);
    expect(csv).toHaveLength(1 + 9);
    expect(csv.find((l) => l.startsWith('images/red/b0.png,'))).toMatch(
      /^images\/red\/b0\.png,red,blue,[0-9a-f]{64},relabel,alice,/,
    );
  });

  it('ships the whole audit log as decisions.jsonl', async () => {
    const lines = (await readFile(join(out, 'decisions.jsonl'), 'utf8')).trimEnd().split('\n');
    const events = lines.map((l) => JSON.parse(l) as ReviewEvent);
    const all = await services.api.review.history(undefined, 1000);
    expect(events.map((e) => e.id).sort((a, b) => a - b)).toEqual(all.map((e) => e.id).sort((a, b) => a - b));
    expect(events.some((e) => e.action === 'undo')).toBe(true);
    expect(events.find((e) => e.note === 'not a red thing')).toMatchObject({ action: 'reject', reviewer: 'alice' });
  });

  it('writes a sha256 manifest over every file that verify re-checks, and catches tampering', async () => {
    const sums = (await readFile(join(out, 'manifest-sha256.txt'), 'utf8')).trimEnd().split('\n');
    const listed = new Map(sums.map((l) => [l.slice(66), l.slice(0, 64)]));
    const files = (await listTree(out)).filter((f) => f !== 'manifest-sha256.txt' && f !== 'bagit.txt');
    expect([...listed.keys()].sort()).toEqual(files);
    for (const [rel, hash] of listed) expect(sha(await readFile(join(out, rel)))).toBe(hash);
    expect(await services.api.exports.verify(out)).toEqual({
      ok: true,
      checked: files.length,
      mismatched: [],
      missing: [],
    });

    // Tamper with a copy of the export, not the export itself.
    const copy = join(dir, 'tampered');
    await exportTo({ out: copy });
    await writeFile(join(copy, 'images', 'red', 'r0.png'), 'changed');
    await rm(join(copy, 'images', 'blue', 'b2.png'));
    const bad = await services.api.exports.verify(copy);
    expect(bad).toMatchObject({ ok: false, mismatched: ['images/red/r0.png'], missing: ['images/blue/b2.png'] });
    await expect(services.api.exports.verify(join(dir, 'data'))).rejects.toSatisfy(appErrorCode('not-found'));
  });

  it('hardlinks and symlinks when asked, and writes manifests only for csv and json formats', async () => {
    const hard = join(dir, 'hard');
    await exportTo({ out: hard, mode: 'hardlink' });
    const src = await stat(join(data, 'train', 'red', 'r0.png'));
    expect((await stat(join(hard, 'images', 'red', 'r0.png'))).ino).toBe(src.ino);
    const soft = join(dir, 'soft');
    await exportTo({ out: soft, mode: 'symlink' });
    expect((await lstat(join(soft, 'images', 'red', 'r0.png'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(soft, 'images', 'red', 'r0.png'))).toBe(join(data, 'train', 'red', 'r0.png'));
    expect((await services.api.exports.verify(soft)).ok).toBe(true);

    const csvOnly = join(dir, 'csv-only');
    await exportTo({ out: csvOnly, format: 'csv' });
    expect(await listTree(csvOnly)).toEqual(['bagit.txt', 'decisions.jsonl', 'manifest-sha256.txt', 'manifest.csv']);
    const jsonOnly = join(dir, 'json-only');
    await exportTo({ out: jsonOnly, format: 'json' });
    const json = JSON.parse(await readFile(join(jsonOnly, 'manifest.json'), 'utf8')) as { images: { path: string }[] };
    expect(json.images.map((r) => r.path)).toContain(join(data, 'train', 'blue', 'b0.png'));
  });

  it('can include the inbox (all) or only reviewed images (kept)', async () => {
    const all = join(dir, 'all');
    expect((await exportTo({ out: all, include: 'all' })).images).toBe(9 + 2);
    expect((await listTree(join(all, 'images'))).filter((f) => f.includes('x'))).toHaveLength(2);
    const kept = join(dir, 'kept');
    await exportTo({ out: kept, include: 'kept' });
    expect(await listTree(join(kept, 'images'))).toEqual(['red/b0.png', 'red/r0.png', 'red/r1.png', 'red/same.png']);
  });

  it('refuses an OUT inside a source folder and a non-empty OUT, writing nothing', async () => {
    const inside = join(data, 'train', 'exported');
    await expect(exportTo({ out: inside })).rejects.toThrow(/source folder/);
    const nonEmpty = join(dir, 'non-empty');
    await mkdir(nonEmpty);
    await writeFile(join(nonEmpty, 'keep.txt'), 'mine');
    await expect(exportTo({ out: nonEmpty })).rejects.toThrow(/not empty/);
    expect(await readdir(nonEmpty)).toEqual(['keep.txt']);
    expect(await readFile(join(nonEmpty, 'keep.txt'), 'utf8')).toBe('mine');
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    await expect(exportTo({ out: file })).rejects.toThrow(/not a folder/);
    // An empty folder the user made is fine.
    const empty = join(dir, 'empty');
    await mkdir(empty);
    expect((await exportTo({ out: empty })).images).toBe(9);
  });

  it('leaves every source file byte-for-byte unchanged', async () => {
    expect(await hashTree(data)).toEqual(sourcesBefore);
  });
});
