// The quality benchmark's data: Fashion-MNIST (ID = classes 0-5, near-OOD = 6-9) and letters A-J rendered from
// Debian fonts (far-OOD), split into train / validation / test, with MobileNetV2 features cached on disk.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadFashion, pickPerClass } from '../data/fashion-mnist.js';
import { renderLetters } from '../data/letters.js';
import { extractGrey, loadMobileNetV2, loadSet, saveSet, type ExtractedSet } from '../data/bench-features.js';

export const ID_CLASSES = [0, 1, 2, 3, 4, 5];
export const NEAR_CLASSES = [6, 7, 8, 9];
export const MAP_LAYERS = ['block_12_add', 'block_13_expand_relu'];
export const POOLED_LAYERS = [...MAP_LAYERS, 'block_16_expand_relu', 'out_relu'];

export interface GreySet {
  name: string;
  n: number;
  pixels: Uint8Array;
  labels: Int32Array;
}

function gather(pixels: Uint8Array, labels: Uint8Array, idx: number[], name: string, ood: boolean): GreySet {
  const out = new Uint8Array(idx.length * 784);
  const lab = new Int32Array(idx.length);
  idx.forEach((i, k) => {
    out.set(pixels.subarray(i * 784, (i + 1) * 784), k * 784);
    lab[k] = ood ? -1 : labels[i]!;
  });
  return { name, n: idx.length, pixels: out, labels: lab };
}

async function lettersSet(dir: string, parity: number, name: string): Promise<GreySet> {
  mkdirSync(dir, { recursive: true });
  let files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  if (files.length === 0) files = (await renderLetters(dir)).map((f) => f.slice(dir.length + 1));
  // Split by typeface so validation and test never share a font.
  const fonts = [...new Set(files.map((f) => f.slice(2)))].sort();
  const keep = new Set(fonts.filter((_, i) => i % 2 === parity));
  const chosen = files.filter((f) => keep.has(f.slice(2))).sort();
  const pixels = new Uint8Array(chosen.length * 784);
  for (let k = 0; k < chosen.length; k++) {
    const raw = await sharp(join(dir, chosen[k]!)).greyscale().resize(28, 28).raw().toBuffer();
    pixels.set(raw.subarray(0, 784), k * 784);
  }
  return { name, n: chosen.length, pixels, labels: new Int32Array(chosen.length).fill(-1) };
}

export async function benchSets(workDir: string, perClassTrain: number): Promise<GreySet[]> {
  const tr = loadFashion('train');
  const te = loadFashion('test');
  const tp = tr.images.pixels;
  const ep = te.images.pixels;
  return [
    gather(tp, tr.labels, pickPerClass(tr.labels, ID_CLASSES, perClassTrain), 'train', false),
    gather(tp, tr.labels, pickPerClass(tr.labels, ID_CLASSES, 100, perClassTrain), 'val-id', false),
    gather(tp, tr.labels, pickPerClass(tr.labels, NEAR_CLASSES, 100), 'val-near', true),
    await lettersSet(join(workDir, 'letters'), 0, 'val-far'),
    gather(ep, te.labels, pickPerClass(te.labels, ID_CLASSES, 167), 'test-id', false),
    gather(ep, te.labels, pickPerClass(te.labels, NEAR_CLASSES, 250), 'test-near', true),
    await lettersSet(join(workDir, 'letters'), 1, 'test-far'),
  ];
}

export interface FeatureSet extends ExtractedSet {
  name: string;
  labels: Int32Array;
}

/** Features for every set, extracted once per (input size, per-class count) and cached under workDir. */
export async function benchFeatures(workDir: string, size: number, perClassTrain: number): Promise<FeatureSet[]> {
  const cache = join(workDir, `features-${size}-${perClassTrain}`);
  const sets = await benchSets(workDir, perClassTrain);
  let loaded: Awaited<ReturnType<typeof loadMobileNetV2>> | undefined;
  const out: FeatureSet[] = [];
  for (const s of sets) {
    let f: ExtractedSet | undefined = loadSet(cache, s.name);
    if (!f || f.n !== s.n) {
      loaded ??= await loadMobileNetV2(size, POOLED_LAYERS);
      const t0 = Date.now();
      f = await extractGrey(loaded.model, loaded.outs, MAP_LAYERS, s.pixels, s.n, 28, size);
      const ms = Date.now() - t0;
      console.error(
        `extracted ${s.name}: ${s.n} images in ${(ms / 1000).toFixed(1)} s (${((s.n / ms) * 1000).toFixed(1)}/s)`,
      );
      saveSet(cache, s.name, f, { size });
    }
    out.push({ ...f, name: s.name, labels: s.labels });
  }
  return out;
}
