// Handwritten digits, 8x8 (scikit-learn's copy of the UCI optical digits, 1,797 images): ID = digits 0-4,
// near-OOD = digits 5-9, far-OOD = Fashion-MNIST test images shrunk to 8x8 (clothing at the same resolution).
//   apt-get download python3-sklearn && dpkg-deb -x python3-sklearn_*.deb /tmp/sk   (no Python needed)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { extractGrey, loadSet, saveSet } from '../data/bench-features.js';
import { loadFashion } from '../data/fashion-mnist.js';
import { MOBILENET_V2, type BenchBackbone } from './quality-inception.js';
import type { BenchSet, FeatureSet } from './quality-sets.js';

const DIGITS_CSV = 'usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';

interface Grey {
  name: string;
  pixels: Uint8Array;
  labels: Int32Array;
}

function readDigits(root: string): { pixels: Uint8Array; labels: Int32Array } {
  const file = join(root, DIGITS_CSV);
  if (!existsSync(file))
    throw new Error(
      `${file} is missing: apt-get download python3-sklearn && dpkg-deb -x python3-sklearn_*.deb ${root}`,
    );
  const rows = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
  const pixels = new Uint8Array(rows.length * 64);
  const labels = new Int32Array(rows.length);
  rows.forEach((line, i) => {
    const v = line.split(',').map(Number);
    // 0..16 grey levels, ink high (as in MNIST).
    for (let j = 0; j < 64; j++) pixels[i * 64 + j] = Math.round((v[j]! * 255) / 16);
    labels[i] = v[64]!;
  });
  return { pixels, labels };
}

async function fashionAt8(count: number, skip: number): Promise<Uint8Array> {
  const te = loadFashion('test');
  const out = new Uint8Array(count * 64);
  for (let k = 0; k < count; k++) {
    const i = skip + k * 7; // spread over the file (every class)
    const img = te.images.pixels.subarray(i * 784, (i + 1) * 784);
    const small = await sharp(Buffer.from(img), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(8, 8, { kernel: 'cubic' })
      .raw()
      .toBuffer();
    out.set(small.subarray(0, 64), k * 64);
  }
  return out;
}

function subset(d: { pixels: Uint8Array; labels: Int32Array }, idx: number[], name: string, ood: boolean): Grey {
  const pixels = new Uint8Array(idx.length * 64);
  idx.forEach((i, k) => pixels.set(d.pixels.subarray(i * 64, (i + 1) * 64), k * 64));
  return { name, pixels, labels: Int32Array.from(idx, (i) => (ood ? -1 : d.labels[i]!)) };
}

/** Splits: images in file order, 60/20/20 of each ID digit; near-OOD digits and far-OOD split in half. */
async function greySets(root: string): Promise<Grey[]> {
  const d = readDigits(root);
  const byLabel = (keep: (y: number) => boolean): number[] =>
    Array.from(d.labels.keys()).filter((i) => keep(d.labels[i]!));
  const id = byLabel((y) => y <= 4);
  const near = byLabel((y) => y >= 5);
  const part = (ix: number[], lo: number, hi: number): number[] => ix.filter((_, k) => k % 10 >= lo && k % 10 < hi);
  const far = { pixels: await fashionAt8(800, 0), labels: new Int32Array(800).fill(-1) };
  const farIdx = Array.from({ length: 800 }, (_, i) => i);
  return [
    subset(d, part(id, 0, 6), 'train', false),
    subset(d, part(id, 6, 8), 'val-id', false),
    subset(d, part(near, 0, 5), 'val-near', true),
    subset(far, part(farIdx, 0, 5), 'val-far', true),
    subset(d, part(id, 8, 10), 'test-id', false),
    subset(d, part(near, 5, 10), 'test-near', true),
    subset(far, part(farIdx, 5, 10), 'test-far', true),
  ];
}

export async function digitsSet(
  workDir: string,
  size: number,
  backbone: BenchBackbone = MOBILENET_V2,
  root = '/tmp/sk',
): Promise<BenchSet> {
  const cache = join(workDir, backbone === MOBILENET_V2 ? `digits-${size}` : `digits-${backbone.key}-${size}`);
  const sets = await greySets(root);
  let loaded: Awaited<ReturnType<BenchBackbone['load']>> | undefined;
  const splits: FeatureSet[] = [];
  for (const s of sets) {
    const n = s.labels.length;
    let f = loadSet(cache, s.name);
    if (!f || f.n !== n) {
      loaded ??= await backbone.load(size);
      const ex = await extractGrey(loaded.model, loaded.outs, [backbone.mapLayer], s.pixels, n, 8, size);
      saveSet(cache, s.name, ex, { size });
      f = { ...ex, extra: {} };
    }
    splits.push({ ...f, name: s.name, labels: s.labels });
  }
  return {
    id: 'digits',
    title: 'Handwritten digits 8×8 (UCI / scikit-learn) + Fashion-MNIST at 8×8',
    classes: ['0', '1', '2', '3', '4'],
    describe:
      'ID = digits 0-4, near-OOD = digits 5-9, far-OOD = Fashion-MNIST test images shrunk to 8x8. Per ID digit, in ' +
      'file order, 6 of every 10 images train, 2 validate, 2 test; near- and far-OOD are split in half.',
    splits,
    mapLayer: backbone.mapLayer,
    pooledLayer: backbone.pooledLayer,
  };
}
