// Colour objects on backgrounds that vary: Noto Color Emoji glyphs (Google, OFL) pasted at random size and place
// onto random crops of the GNOME desktop backgrounds (photographs and illustrations, CC-BY-SA), 128x128, seeded.
// ID = four emoji groups (faces, mammals, ground transport, fruit and vegetables); near-OOD = neighbouring subgroups
// (birds, bugs, sea animals, reptiles, air and water transport, drinks, sweets, prepared food); far-OOD = flags and
// symbols (geometric, keycaps, letters). ID glyphs are split between train, validation and test, so test objects are unseen.
//   apt-get install -y fonts-noto-color-emoji unicode-data gnome-backgrounds
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { loadSet, saveSet, type ExtractedSet, type LayerOut } from '../data/bench-features.js';
import { createRng } from '../../src/engine/ssod/rng.js';
import { MOBILENET_V2, type BenchBackbone } from './quality-inception.js';
import type { BenchSet, FeatureSet } from './quality-sets.js';

const EMOJI_TEST = '/usr/share/unicode/emoji/emoji-test.txt';
const BACKGROUNDS = '/usr/share/backgrounds/gnome';
const SIDE = 128;

const ID_GROUPS: Record<string, string[]> = {
  face: [
    'face-smiling',
    'face-affection',
    'face-tongue',
    'face-hand',
    'face-neutral-skeptical',
    'face-sleepy',
    'face-unwell',
    'face-concerned',
    'face-negative',
  ],
  mammal: ['animal-mammal'],
  'ground-transport': ['transport-ground'],
  'fruit-vegetable': ['food-fruit', 'food-vegetable'],
};
const NEAR_GROUPS = [
  'animal-bird',
  'animal-bug',
  'animal-marine',
  'animal-reptile',
  'transport-air',
  'transport-water',
  'drink',
  'food-sweet',
  'food-prepared',
];
const FAR_GROUPS = ['country-flag', 'geometric', 'keycap', 'alphanum'];

/** Fully qualified single emoji (no skin tones, no ZWJ sequences) per subgroup. */
function emojiBySubgroup(): Map<string, string[]> {
  if (!existsSync(EMOJI_TEST)) throw new Error(`${EMOJI_TEST} is missing: apt-get install -y unicode-data`);
  const out = new Map<string, string[]>();
  let sub = '';
  for (const line of readFileSync(EMOJI_TEST, 'utf8').split('\n')) {
    if (line.startsWith('# subgroup:')) sub = line.slice(11).trim();
    const m = /^([0-9A-F ]+);\s*fully-qualified\s*#\s*(\S+)/.exec(line);
    if (!m || line.includes('skin tone') || m[1]!.includes('200D')) continue;
    const list = out.get(sub) ?? [];
    list.push(m[2]!);
    out.set(sub, list);
  }
  return out;
}

async function glyphPng(ch: string): Promise<Buffer> {
  return sharp({ text: { text: ch, font: 'Noto Color Emoji', rgba: true, dpi: 480 } })
    .png()
    .toBuffer();
}

async function loadBackgrounds(): Promise<{ data: Buffer; width: number; height: number }[]> {
  if (!existsSync(BACKGROUNDS)) throw new Error(`${BACKGROUNDS} is missing: apt-get install -y gnome-backgrounds`);
  const files = readdirSync(BACKGROUNDS)
    .filter((f) => /\.(webp|svg|jpg|png)$/.test(f))
    .sort();
  const out = [];
  for (const f of files) {
    const { data, info } = await sharp(join(BACKGROUNDS, f))
      .resize(768, 768, { fit: 'cover' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    out.push({ data, width: info.width, height: info.height });
  }
  return out;
}

type Backgrounds = Awaited<ReturnType<typeof loadBackgrounds>>;

/** One image: a random crop (1/6 to 2/3 of the side) of a random background, the glyph at 55-90% of the side. */
async function compose(glyph: Buffer, bgs: Backgrounds, rng: () => number): Promise<Buffer> {
  const bg = bgs[Math.floor(rng() * bgs.length)]!;
  const crop = Math.round(bg.width * (1 / 6 + rng() * 0.5));
  const left = Math.floor(rng() * (bg.width - crop));
  const top = Math.floor(rng() * (bg.height - crop));
  const size = Math.round(SIDE * (0.55 + rng() * 0.35));
  const g = await sharp(glyph)
    .resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .toBuffer();
  const x = Math.floor(rng() * (SIDE - size));
  const y = Math.floor(rng() * (SIDE - size));
  return sharp(bg.data, { raw: { width: bg.width, height: bg.height, channels: 3 } })
    .extract({ left, top, width: crop, height: crop })
    .resize(SIDE, SIDE)
    .composite([{ input: g, left: x, top: y }])
    .removeAlpha()
    .raw()
    .toBuffer();
}

interface Plan {
  name: string;
  glyphs: { ch: string; label: number }[];
  renders: number;
}

function plans(): Plan[] {
  const by = emojiBySubgroup();
  const pick = (subs: string[]): string[] => subs.flatMap((s) => by.get(s) ?? []);
  const tr: Plan['glyphs'] = [];
  const va: Plan['glyphs'] = [];
  const te: Plan['glyphs'] = [];
  Object.values(ID_GROUPS).forEach((subs, label) =>
    pick(subs).forEach((ch, k) => [tr, tr, tr, va, te][k % 5]!.push({ ch, label })),
  );
  const half = (subs: string[], parity: number): Plan['glyphs'] =>
    pick(subs)
      .filter((_, k) => k % 2 === parity)
      .map((ch) => ({ ch, label: -1 }));
  return [
    { name: 'train', glyphs: tr, renders: 12 },
    { name: 'val-id', glyphs: va, renders: 5 },
    { name: 'val-near', glyphs: half(NEAR_GROUPS, 0), renders: 3 },
    { name: 'val-far', glyphs: half(FAR_GROUPS, 0), renders: 2 },
    { name: 'test-id', glyphs: te, renders: 5 },
    { name: 'test-near', glyphs: half(NEAR_GROUPS, 1), renders: 3 },
    { name: 'test-far', glyphs: half(FAR_GROUPS, 1), renders: 2 },
  ];
}

/** RGB images [n, SIDE, SIDE, 3] bytes; features as the app computes them (pixels / 255). */
async function extractRgb(
  model: Pick<tf.LayersModel, 'predict'>,
  outs: LayerOut[],
  rgb: Uint8Array,
  n: number,
  size: number,
  mapLayer: string,
): Promise<ExtractedSet> {
  const maps: Record<string, Float32Array> = {};
  const pooled: Record<string, Float32Array> = {};
  for (const o of outs) {
    pooled[o.name] = new Float32Array(n * o.c);
    if (o.name === mapLayer) maps[o.name] = new Float32Array(n * o.h * o.w * o.c);
  }
  const px = SIDE * SIDE * 3;
  for (let s = 0; s < n; s += 16) {
    const b = Math.min(16, n - s);
    const results = tf.tidy(() => {
      const x = tf.tensor4d(
        Float32Array.from(rgb.subarray(s * px, (s + b) * px), (v) => v / 255),
        [b, SIDE, SIDE, 3],
      );
      const ys = model.predict(size === SIDE ? x : tf.image.resizeBilinear(x, [size, size]));
      return (Array.isArray(ys) ? ys : [ys]).flatMap((y) => [y, y.mean([1, 2])]);
    });
    outs.forEach((o, k) => {
      maps[o.name]?.set(results[2 * k]!.dataSync(), s * o.h * o.w * o.c);
      pooled[o.name]!.set(results[2 * k + 1]!.dataSync(), s * o.c);
    });
    tf.dispose(results);
  }
  return { n, maps, pooled, outs };
}

export async function emojiSet(
  workDir: string,
  size: number,
  backbone: BenchBackbone = MOBILENET_V2,
): Promise<BenchSet> {
  const cache = join(workDir, backbone === MOBILENET_V2 ? `emoji2-${size}` : `emoji2-${backbone.key}-${size}`);
  const all = plans();
  let bgs: Backgrounds | undefined;
  let loaded: Awaited<ReturnType<BenchBackbone['load']>> | undefined;
  const glyphs = new Map<string, Buffer>();
  const splits: FeatureSet[] = [];
  for (const [p, plan] of all.entries()) {
    const labels = Int32Array.from(plan.glyphs.flatMap((g) => new Array<number>(plan.renders).fill(g.label)));
    let f = loadSet(cache, plan.name);
    if (!f || f.n !== labels.length) {
      bgs ??= await loadBackgrounds();
      loaded ??= await backbone.load(size);
      const rng = createRng(1000 + p);
      const rgb = new Uint8Array(labels.length * SIDE * SIDE * 3);
      let at = 0;
      for (const g of plan.glyphs) {
        if (!glyphs.has(g.ch)) glyphs.set(g.ch, await glyphPng(g.ch));
        for (let r = 0; r < plan.renders; r++)
          rgb.set(await compose(glyphs.get(g.ch)!, bgs, rng), SIDE * SIDE * 3 * at++);
      }
      const ex = await extractRgb(loaded.model, loaded.outs, rgb, labels.length, size, backbone.mapLayer);
      saveSet(cache, plan.name, ex, { size });
      f = { ...ex, extra: {} };
    }
    splits.push({ ...f, name: plan.name, labels });
  }
  return {
    id: 'emoji',
    title: 'Colour emoji on varied backgrounds (Noto Color Emoji on GNOME backgrounds)',
    classes: Object.keys(ID_GROUPS),
    describe:
      `ID = ${Object.keys(ID_GROUPS).join(', ')} (glyphs 3:1:1 train/val/test, 12/5/5 renders each); near-OOD = ` +
      `${NEAR_GROUPS.join(', ')}; far-OOD = ${FAR_GROUPS.join(', ')} (glyphs split in half between validation and ` +
      `test). Each render: random crop of a random GNOME background, glyph at 55-90% of the side, random place.`,
    splits,
    mapLayer: backbone.mapLayer,
    pooledLayer: backbone.pooledLayer,
  };
}

/** Writes a few composed images as PNG, to look at what the benchmark sees. */
export async function emojiSamples(outDir: string, count = 8): Promise<string[]> {
  const bgs = await loadBackgrounds();
  const rng = createRng(7);
  const plan = plans()[0]!;
  const files: string[] = [];
  for (let k = 0; k < count; k++) {
    const g = plan.glyphs[Math.floor(rng() * plan.glyphs.length)]!;
    const raw = await compose(await glyphPng(g.ch), bgs, rng);
    const file = join(outDir, `emoji-sample-${k}.png`);
    await sharp(raw, { raw: { width: SIDE, height: SIDE, channels: 3 } })
      .png()
      .toFile(file);
    files.push(file);
  }
  return files;
}
