// Training on awkward projects, through the services on the real engine process (pixel-statistics backbone):
// one class only, a class of three images, all-identical images, 28×28 beside 4000×3000. Each either trains and
// scores every image with finite numbers, or fails with a message that says what to change, losing nothing.
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow } from '../../shared/dto.js';
import { createServices, type Services } from '../create-services.js';
import { PIXEL_TRAIN } from '../testing/scanned-project.js';
import { BLUE, RED, colourPng, colourSet, pixelEngineFactory, type Rgb } from '../testing/curate-fixture.js';

let dir: string;
let services: Services;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-train-edges-'));
  services = createServices({ dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() });
  await services.api.settings.set({ reviewer: 'tester' });
}, 60_000);

afterAll(async () => {
  await services?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A new project with `train` (already written under `<dir>/<name>/train`) added and scanned. */
async function projectFrom(name: string): Promise<void> {
  const { api } = services;
  await api.projects.create(join(dir, name, 'project'));
  const source = await api.sources.add(join(dir, name, 'train'), 'train');
  expect((await api.jobs.wait((await api.jobs.scan(source.id)).id)).outcome).toBe('done');
}

async function train(): Promise<{ outcome: string; error?: string | null }> {
  return services.api.jobs.wait((await services.api.jobs.train(PIXEL_TRAIN)).id);
}

async function allImages(): Promise<ImageRow[]> {
  return (await services.api.images.list({ sortBy: 'path', limit: 1000 })).rows;
}

function expectScoredFinite(rows: ImageRow[]): void {
  for (const row of rows) {
    expect(row.status).toBe('ok');
    const values = Object.values(row.scores);
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(Number.isFinite(v)).toBe(true);
  }
}

/** A width×height JPEG of one colour (a real 4000×3000 decode, quick to write). */
async function bigJpeg(path: string, rgb: Rgb, width: number, height: number): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const [r, g, b] = rgb;
  await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .jpeg()
    .toFile(path);
}

describe('training on awkward projects', () => {
  it('one class only: fails before any run is recorded, says what to add, and keeps every image', async () => {
    await colourSet(join(dir, 'one', 'train', 'red'), 'r', RED, 8, 1);
    await projectFrom('one');
    const result = await train();
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/at least 2 classes of train images .* found 1: 'red'/);
    expect(await services.api.runs.list()).toEqual([]);
    expect((await allImages()).map((r) => r.status)).toEqual(Array(8).fill('ok'));
  }, 120_000);

  it('a class of three images is left out of training, said in the run, and its images are still scored', async () => {
    await colourSet(join(dir, 'small', 'train', 'red'), 'r', RED, 10, 1);
    await colourSet(join(dir, 'small', 'train', 'blue'), 'b', BLUE, 10, 100);
    await colourSet(join(dir, 'small', 'train', 'tiny'), 't', [200, 200, 40], 3, 300);
    await projectFrom('small');
    expect((await train()).outcome).toBe('done');
    const run = await services.api.runs.get((await services.api.runs.list())[0]!.id);
    expect(run.classes).toEqual(['blue', 'red']);
    expect(run.metrics.classesLeftOut).toEqual([{ class: 'tiny', examples: 3 }]);
    expectScoredFinite(await allImages());
  }, 180_000);

  it('all-identical images: copies count once, so each class is one image; a clear message names them', async () => {
    const one = join(dir, 'same-src');
    await colourPng(join(one, 'red.png'), RED, 1);
    await colourPng(join(one, 'blue.png'), BLUE, 2);
    for (const [cls, file] of [
      ['red', 'red.png'],
      ['blue', 'blue.png'],
    ] as const) {
      await mkdir(join(dir, 'same', 'train', cls), { recursive: true });
      for (let i = 0; i < 8; i++) await copyFile(join(one, file), join(dir, 'same', 'train', cls, `${i}.png`));
    }
    await projectFrom('same');
    const result = await train();
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/found 0: none; too small to train on: 'blue' \(1\), 'red' \(1\)/);
    expect(await services.api.runs.list()).toEqual([]);
    expect(await allImages()).toHaveLength(16);
  }, 180_000);

  it('identical copies beside distinct images: trains, and every copy gets the scores of its content', async () => {
    await colourSet(join(dir, 'copies', 'train', 'red'), 'r', RED, 6, 1);
    await colourSet(join(dir, 'copies', 'train', 'blue'), 'b', BLUE, 6, 100);
    for (let i = 0; i < 3; i++)
      await copyFile(
        join(dir, 'copies', 'train', 'red', 'r0.png'),
        join(dir, 'copies', 'train', 'red', `copy${i}.png`),
      );
    await projectFrom('copies');
    expect((await train()).outcome).toBe('done');
    const rows = await allImages();
    expect(rows).toHaveLength(15);
    expectScoredFinite(rows);
    const same = rows.filter((r) => /red\/(r0|copy\d)\.png$/.test(r.relPath)).map((r) => r.scores);
    expect(same).toHaveLength(4);
    for (const s of same) expect(s).toEqual(same[0]);
  }, 180_000);

  it('28×28 and 4000×3000 images together: every one is read, trained on and scored', async () => {
    await colourSet(join(dir, 'sizes', 'train', 'red'), 'r', RED, 8, 1);
    await colourSet(join(dir, 'sizes', 'train', 'blue'), 'b', BLUE, 8, 100);
    for (let i = 0; i < 2; i++) {
      await colourPng(join(dir, 'sizes', 'train', 'red', `small${i}.png`), RED, 500 + i, 28);
      await colourPng(join(dir, 'sizes', 'train', 'blue', `small${i}.png`), BLUE, 600 + i, 28);
    }
    await bigJpeg(join(dir, 'sizes', 'train', 'red', 'big.jpg'), RED, 4000, 3000);
    await bigJpeg(join(dir, 'sizes', 'train', 'blue', 'big.jpg'), BLUE, 4000, 3000);
    await projectFrom('sizes');
    expect((await train()).outcome).toBe('done');
    const rows = await allImages();
    expect(rows).toHaveLength(22);
    expect(rows.filter((r) => r.relPath.endsWith('big.jpg')).map((r) => [r.width, r.height])).toEqual([
      [4000, 3000],
      [4000, 3000],
    ]);
    expectScoredFinite(rows);
  }, 180_000);
});
