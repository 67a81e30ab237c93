// Small generated datasets and services wired to the pixel-statistics backbone, shared by the services and CLI
// tests and the loop benchmark. Colours make the ground truth obvious: "red" and "blue" classes, plus a
// "green" look that stands for out-of-distribution images.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createForkedEngine } from '../../engine/host/engine-client.js';
import type { EngineFactory } from '../engine-pool.js';

export const PIXEL_DEPS = fileURLToPath(new URL('./pixel-backbone.ts', import.meta.url));

/** The real engine process with the pixel-statistics backbone: everything but the backbone is real. */
export function pixelEngineFactory(): EngineFactory {
  return ({ backend }) => createForkedEngine({ backend, depsModule: PIXEL_DEPS, workers: 1 });
}

export type Rgb = [number, number, number];
export const RED: Rgb = [200, 40, 40];
export const BLUE: Rgb = [40, 40, 200];
export const GREEN: Rgb = [40, 200, 40];

/** A size×size PNG of `rgb` with deterministic noise (different seeds give different bytes). */
export async function colourPng(path: string, rgb: Rgb, seed: number, size = 32, noise = 60): Promise<void> {
  const buf = Buffer.alloc(size * size * 3);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < 3; c++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const jitter = ((s >>> 0) % (noise + 1)) - noise / 2;
      buf[i * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! + jitter)));
    }
  }
  await mkdir(join(path, '..'), { recursive: true });
  await sharp(buf, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(path);
}

/** Writes `count` images of one colour as `${dir}/${prefix}${i}.png`. */
export async function colourSet(
  dir: string,
  prefix: string,
  rgb: Rgb,
  count: number,
  seed0: number,
): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = join(dir, `${prefix}${i}.png`);
    await colourPng(p, rgb, seed0 + i);
    paths.push(p);
  }
  return paths;
}

/** sha256 of every file under `root`, by relative path: to prove sources are untouched. */
export async function hashTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out.set(
          relative(root, p),
          createHash('sha256')
            .update(await readFile(p))
            .digest('hex'),
        );
    }
  };
  await walk(root);
  return out;
}

/** Files under `root` (relative paths, sorted). */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p));
    }
  };
  if ((await stat(root)).isDirectory()) await walk(root);
  return out.sort();
}
