// The real thing through the CLI: the bundled MobileNetV2, the engine process, SSOD training and evaluation on a
// small generated dataset where OOD is clearly separable (stripes are in-distribution, noise is not).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport, ImageRow } from '../shared/dto.js';
import { ssodRunner } from './testing/run-ssod.js';

let dir: string;

const { ok: ssod, jsonLines } = ssodRunner(() => ({ dataDir: join(dir, 'home') }));

/** Seeded pseudo-random bytes so the dataset is the same on every run. */
function noise(seed: number, n: number): Buffer {
  let s = seed >>> 0;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

async function stripes(file: string, vertical: boolean, period: number, shade: number): Promise<void> {
  const size = 64;
  const px = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = Math.floor((vertical ? x : y) / period) % 2 === 0;
      px.fill(on ? 230 : shade, (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  await sharp(px, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(file);
}

async function dataset(root: string, count: number, offset: number): Promise<void> {
  await mkdir(join(root, 'horizontal'), { recursive: true });
  await mkdir(join(root, 'vertical'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const period = 3 + ((i + offset) % 5);
    const shade = 10 + ((i * 7 + offset) % 40);
    await stripes(join(root, 'horizontal', `h${i}.png`), false, period, shade);
    await stripes(join(root, 'vertical', `v${i}.png`), true, period, shade);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-integration-'));
  await dataset(join(dir, 'train'), 24, 0);
  await dataset(join(dir, 'id'), 8, 100);
  await mkdir(join(dir, 'ood'));
  for (let i = 0; i < 16; i++) {
    await sharp(noise(i + 1, 64 * 64 * 3), { raw: { width: 64, height: 64, channels: 3 } })
      .blur(0.6 + (i % 3))
      .png()
      .toFile(join(dir, 'ood', `n${i}.png`));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ssod with the bundled MobileNetV2', () => {
  it('separates clearly out-of-distribution images (AUROC > 0.95) and repeats its scores for a seed', async () => {
    const project = join(dir, 'project');
    await ssod('init', project);
    await ssod('add', project, join(dir, 'train'), '--role', 'train');
    const train = ['train', project, '--epochs', '4', '--folds', '2', '--seed', '11', '--json'];
    await ssod(...train);
    const report = JSON.parse(
      await ssod('eval', project, '--ood', join(dir, 'ood'), '--id', join(dir, 'id'), '--json'),
    ) as EvalReport;
    expect(report.oodCount).toBe(16);
    expect(report.idCount).toBe(16);
    expect(report.perScorer.ssod!.auroc).toBeGreaterThan(0.95);
    expect(report.idAccuracy).toBeGreaterThan(0.9);

    const scores = async (): Promise<Map<string, number>> =>
      new Map((await jsonLines<ImageRow>('list', project)).map((r) => [r.relPath, r.scores.ssod!]));
    const first = await scores();
    await ssod(...train);
    expect(await scores()).toEqual(first);
  });
});
