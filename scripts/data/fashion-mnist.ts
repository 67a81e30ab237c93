// Fashion-MNIST from Debian's `dataset-fashion-mnist` (MIT, Zalando SE): reads the IDX gz files and, run as a
// script, writes class folders of 28x28 grey PNGs. Usage:
//   node bin/run-ts.js scripts/data/fashion-mnist.ts OUT_DIR [--split train|test] [--per-class N] [--classes 0,1,2]
import { readFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

import { FASHION_CLASSES } from '../../src/shared/fashion-mnist-classes.js';

export { FASHION_CLASSES };
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols grey bytes, row-major. */
  pixels: Uint8Array;
}

function readGz(path: string): Buffer {
  try {
    return gunzipSync(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read ${path}: apt-get install -y dataset-fashion-mnist`, { cause: e });
  }
}

export function readIdxImages(path: string): IdxImages {
  const b = readGz(path);
  if (b.readUInt32BE(0) !== 0x803) throw new Error(`${path}: not an IDX image file`);
  const count = b.readUInt32BE(4);
  const rows = b.readUInt32BE(8);
  const cols = b.readUInt32BE(12);
  return { count, rows, cols, pixels: new Uint8Array(b.buffer, b.byteOffset + 16, count * rows * cols) };
}

export function readIdxLabels(path: string): Uint8Array {
  const b = readGz(path);
  if (b.readUInt32BE(0) !== 0x801) throw new Error(`${path}: not an IDX label file`);
  const count = b.readUInt32BE(4);
  return new Uint8Array(b.buffer, b.byteOffset + 8, count);
}

export function loadFashion(split: 'train' | 'test', dir = FASHION_DIR): { images: IdxImages; labels: Uint8Array } {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdxImages(join(dir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdxLabels(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  if (labels.length !== images.count) throw new Error('Fashion-MNIST: image and label counts differ');
  return { images, labels };
}

/** Indices of the first `perClass` images of each wanted class, in file order (deterministic). */
export function pickPerClass(labels: Uint8Array, classes: number[], perClass: number, skip = 0): number[] {
  const seen = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!classes.includes(c)) continue;
    const n = seen.get(c) ?? 0;
    seen.set(c, n + 1);
    if (n >= skip && n < skip + perClass) out.push(i);
  }
  return out;
}

export async function writeGreyPng(images: IdxImages, index: number, file: string): Promise<void> {
  const size = images.rows * images.cols;
  const px = Buffer.from(images.pixels.subarray(index * size, (index + 1) * size));
  await sharp(px, { raw: { width: images.cols, height: images.rows, channels: 1 } })
    .png({ compressionLevel: 9 })
    .toFile(file);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args[0];
  if (!out) throw new Error('usage: fashion-mnist.ts OUT_DIR [--split train|test] [--per-class N] [--classes 0,1]');
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const split = opt('--split') === 'test' ? 'test' : 'train';
  const perClass = Number(opt('--per-class') ?? 100);
  const classes = (opt('--classes') ?? '0,1,2,3,4,5,6,7,8,9').split(',').map(Number);
  const { images, labels } = loadFashion(split);
  for (const i of pickPerClass(labels, classes, perClass)) {
    const dir = join(out, FASHION_CLASSES[labels[i]!]!);
    mkdirSync(dir, { recursive: true });
    await writeGreyPng(images, i, join(dir, `${split}-${i}.png`));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
