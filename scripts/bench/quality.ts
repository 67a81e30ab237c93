// OOD-quality benchmark on three real data sets of different kinds (quality-fashion.ts, quality-emoji.ts,
// quality-digits.ts), each with near- and far-OOD and separate validation and test splits. It trains exactly what
// `ssod train` trains (default config, 5 folds), lets the run choose its default `ssod` estimate on the validation
// split (the test split is never seen by any choice), and reports every scorer on both splits.
//   npm run bench:quality -- [--sets fashion,emoji,digits] [--work /tmp/ssod-bench] [--per-class 500] [--json FILE]
//     [--backbone mobilenet_v2|inception|centernet|nanodet] [--size N] [--mode heads|adapt|both] [--adapt-config JSON]
import { cpus, loadavg, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { idAccuracy, oodReport } from '../../src/engine/metrics/index.js';
import { adaptedFeatureStore, trainAdapt } from '../../src/engine/adapt/index.js';
import type { AdaptConfig } from '../../src/engine/adapt/config.js';
import { createMemoryStore, defaultHeadsConfig, trainHeads, type DefaultChoice } from '../../src/engine/ssod/index.js';
import type { FeatureStore, TrainItem } from '../../src/engine/types.js';
import type { ImageScore } from '../../src/engine/types.js';
import { digitsSet } from './quality-digits.js';
import { emojiSet } from './quality-emoji.js';
import { fashionSet } from './quality-fashion.js';
import { MOBILENET_V2 } from './quality-inception.js';
import { benchBackbone, fashionSetFor } from './quality-backbones.js';
import { SPLITS, type BenchSet, type SplitName } from './quality-sets.js';
import { goals, table, type ScorerRow, type SetResult } from './quality-format.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const work = opt('--work', '/tmp/ssod-bench');
const perClass = Number(opt('--per-class', '500'));
const wanted = opt('--sets', 'fashion,emoji,digits').split(',');
const modes = opt('--mode', 'heads') === 'both' ? (['heads', 'adapt'] as const) : ([opt('--mode', 'heads')] as const);
// Each backbone's default input puts its sampling map at 8x8 (quality-backbones.ts).
const { backbone, size: defaultSize } = benchBackbone(opt('--backbone', 'mobilenet_v2'));
const SIZE = Number(opt('--size', String(defaultSize)));
/** Overrides of the adapt run's configuration, e.g. --adapt-config '{"alpha":0.1}' (an ablation, chosen on validation). */
const adaptOverrides = JSON.parse(opt('--adapt-config', '{}')) as Partial<AdaptConfig>;

function storeOf(set: BenchSet): { store: ReturnType<typeof createMemoryStore>; ranges: Record<string, number[]> } {
  const first = set.splits[0]!;
  const mo = first.outs.find((o) => o.name === set.mapLayer)!;
  const po = first.outs.find((o) => o.name === set.pooledLayer)!;
  const n = set.splits.reduce((a, s) => a + s.n, 0);
  const maps = new Float32Array(n * mo.h * mo.w * mo.c);
  const pooled = new Float32Array(n * po.c);
  const ranges: Record<string, number[]> = {};
  let at = 0;
  for (const s of set.splits) {
    maps.set(s.maps[set.mapLayer]!, at * mo.h * mo.w * mo.c);
    pooled.set(s.pooled[set.pooledLayer]!, at * po.c);
    ranges[s.name] = Array.from({ length: s.n }, (_, i) => at + i);
    at += s.n;
  }
  const layout = { mapH: mo.h, mapW: mo.w, mapC: mo.c, pooledC: po.c };
  return { store: createMemoryStore(layout, maps, pooled), ranges };
}

function rowsFor(scores: Map<number, ImageScore>, ranges: number[], scorer: string): number[] {
  return ranges.map((r) => scores.get(r)!.scores[scorer]!);
}

function report(scores: Map<number, ImageScore>, ranges: Record<string, number[]>, split: 'val' | 'test'): ScorerRow[] {
  const names = Object.keys(scores.get(ranges[`${split}-id`]![0]!)!.scores);
  return names.map((s) => {
    const id = rowsFor(scores, ranges[`${split}-id`]!, s);
    return {
      scorer: s,
      near: oodReport(id, rowsFor(scores, ranges[`${split}-near`]!, s)),
      far: oodReport(id, rowsFor(scores, ranges[`${split}-far`]!, s)),
    };
  });
}

/** Adapt mode as `ssod train --mode adapt` runs it: SSOD's joint loss trains the backbone's top on the cached
 * block-12 maps (on the training images only), and the heads and every scorer then read the adapted features. */
async function adaptStore(set: BenchSet, store: FeatureStore, train: TrainItem[]): Promise<FeatureStore> {
  const t0 = Date.now();
  const adapted = await trainAdapt({
    features: store,
    classes: set.classes,
    train,
    config: adaptOverrides,
    // One line per finished phase of an epoch: the per-batch events would flood the log.
    onProgress: (p) => {
      if (p.done === p.total)
        console.error(
          `  ${set.id} adapt ${p.phase} epoch ${p.epoch}/${p.epochs} loss ${p.loss?.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
        );
    },
  });
  console.error(`${set.id}: adapted in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${adapted.epochsRun} epochs`);
  return adaptedFeatureStore(adapted, store);
}

async function runSet(set: BenchSet, mode: 'heads' | 'adapt'): Promise<SetResult> {
  const { store: base, ranges } = storeOf(set);
  const byName = Object.fromEntries(set.splits.map((s) => [s.name, s]));
  const train = ranges.train!.map((row, i) => ({ row, label: byName.train!.labels[i]! }));
  const evalRows = SPLITS.filter((s) => s !== 'train').flatMap((s) => ranges[s]!);
  const t0 = Date.now();
  const store = mode === 'adapt' ? await adaptStore(set, base, train) : base;
  const result = await trainHeads({
    features: store,
    classes: set.classes,
    train,
    scoreRows: evalRows,
    config: defaultHeadsConfig(),
    validation: { id: ranges['val-id']!, ood: { near: ranges['val-near']!, far: ranges['val-far']! } },
    onProgress: (p) =>
      console.error(`  ${set.id} ${p.phase} ${p.done}/${p.total} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  const scores = new Map(result.scores.map((s) => [s.row, s]));
  const acc = (split: SplitName): number =>
    idAccuracy(
      ranges[split]!.map((r) => scores.get(r)!.predicted),
      Array.from(byName[split]!.labels),
    );
  return {
    set: set.id,
    mode,
    title: mode === 'adapt' ? `${set.title}, adapt mode` : set.title,
    describe: set.describe,
    counts: Object.fromEntries(set.splits.map((s) => [s.name, s.n])),
    trainSeconds,
    load: loadavg(),
    idAccuracy: { val: acc('val-id'), test: acc('test-id') },
    choice: result.metrics.ssodDefault as DefaultChoice,
    val: report(scores, ranges, 'val'),
    test: report(scores, ranges, 'test'),
    warnings: (result.metrics.warnings as string[]) ?? [],
    phaseMs: result.metrics.phaseMs as Record<string, number>,
  };
}

function print(r: SetResult): void {
  console.log(`\n## ${r.title}\n\n${r.describe}\n`);
  console.log(
    `Images: ${JSON.stringify(r.counts)}. Train + 5-fold scoring: ${r.trainSeconds.toFixed(1)} s (load ${r.load.map((x) => x.toFixed(1)).join(' ')}).`,
  );
  console.log(`\nDefault chosen on validation: ${r.choice.message}\n`);
  console.log(`### Validation\n\n${table(r.val, r.idAccuracy.val)}\n`);
  console.log(`### Test (reported once)\n\n${table(r.test, r.idAccuracy.test)}\n`);
  console.log(
    `Goals on test:\n${goals(r.test)
      .map((g) => `- ${g}`)
      .join('\n')}`,
  );
  if (r.warnings.length) console.log(`\nRun warnings:\n${r.warnings.map((w) => `- ${w}`).join('\n')}`);
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const loaders: Record<string, () => Promise<BenchSet>> = {
    fashion: () =>
      backbone === MOBILENET_V2 ? fashionSet(work, SIZE, perClass) : fashionSetFor(work, SIZE, perClass, backbone),
    emoji: () => emojiSet(work, SIZE, backbone),
    digits: () => digitsSet(work, SIZE, backbone),
  };
  const results: SetResult[] = [];
  for (const id of wanted) {
    const load = loaders[id];
    if (!load) throw new Error(`unknown set ${id}; known: ${Object.keys(loaders).join(', ')}`);
    const t0 = Date.now();
    const set = await load();
    console.error(`${id}: features ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const mode of modes) {
      if (mode !== 'heads' && mode !== 'adapt') throw new Error(`--mode must be heads, adapt or both`);
      const r = await runSet(set, mode);
      print(r);
      results.push(r);
    }
  }
  console.log(
    `\nmachine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, backend ${tf.getBackend()}, ` +
      `backbone ${backbone.key}, input ${SIZE}, map ${backbone.mapLayer}, pooled ${backbone.pooledLayer}; load average at the end ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
  );
  const json = opt('--json', '');
  if (json) writeFileSync(json, JSON.stringify(results, null, 1));
}

await main();
