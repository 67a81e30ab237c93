// What projecting the adapted map (AdaptConfig.mapChannels) costs in quality and saves in time, on the quality
// benchmark's Fashion-MNIST + letters set: one adapt run (choices on validation only, test reported once), then the
// heads and every scorer trained on the same adapted top's features twice or more, once per map width: the full
// map (0) and each projection. Features are materialised first, so the timings are the retrain's alone.
//   node bin/run-ts.js scripts/bench/adapt-retrain-quality.ts [--work /tmp/ssod-bench] [--channels 0,128]
//     [--epochs 2] [--top FILE.json]   (--top: keep the adapted top there and reuse it on the next call)
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { idAccuracy, oodReport } from '../../src/engine/metrics/index.js';
import { adaptMaps, loadAdapted, saveAdapted, trainAdapt, unprojected } from '../../src/engine/adapt/index.js';
import type { AdaptedModel } from '../../src/engine/adapt/index.js';
import { withProjection } from '../../src/engine/adapt/compact-output.js';
import { createMemoryStore, defaultHeadsConfig, trainHeads } from '../../src/engine/ssod/index.js';
import type { FeatureStore } from '../../src/engine/types.js';
import { fashionSet } from './quality-fashion.js';
import type { BenchSet } from './quality-sets.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const SIZE = 128;

function baseStore(set: BenchSet): { store: FeatureStore; ranges: Record<string, number[]> } {
  const mo = set.splits[0]!.outs.find((o) => o.name === set.mapLayer)!;
  const n = set.splits.reduce((a, s) => a + s.n, 0);
  const maps = new Float32Array(n * mo.h * mo.w * mo.c);
  const ranges: Record<string, number[]> = {};
  let at = 0;
  for (const s of set.splits) {
    maps.set(s.maps[set.mapLayer]!, at * mo.h * mo.w * mo.c);
    ranges[s.name] = Array.from({ length: s.n }, (_, i) => at + i);
    at += s.n;
  }
  const layout = { mapH: mo.h, mapW: mo.w, mapC: mo.c, pooledC: 1 };
  return { store: createMemoryStore(layout, maps, new Float32Array(n)), ranges };
}

/** Every row's adapted features in memory, as the feature cache holds them for a retrain. */
async function materialise(model: AdaptedModel, base: FeatureStore): Promise<FeatureStore> {
  const { layout } = model;
  const mapSize = layout.mapH * layout.mapW * layout.mapC;
  const maps = new Float32Array(base.count * mapSize);
  const pooled = new Float32Array(base.count * layout.pooledC);
  for (let at = 0; at < base.count; at += 64) {
    const rows = Array.from({ length: Math.min(64, base.count - at) }, (_, i) => at + i);
    const out = adaptMaps(model.top, await base.maps(rows), rows.length, model.inputLayout, model.projection);
    maps.set(out.maps, at * mapSize);
    pooled.set(out.pooled, at * layout.pooledC);
  }
  return createMemoryStore(layout, maps, pooled);
}

async function adaptedTop(
  set: BenchSet,
  base: FeatureStore,
  train: { row: number; label: number }[],
): Promise<AdaptedModel> {
  const file = opt('--top', '');
  if (file && existsSync(file)) return unprojected((await loadAdapted(file)).model);
  const t0 = Date.now();
  const r = await trainAdapt({
    features: base,
    classes: set.classes,
    train,
    config: { epochs: Number(opt('--epochs', '2')), mapChannels: 0 },
  });
  console.error(`adapted in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${r.epochsRun} epochs`);
  if (file) await saveAdapted(file, r);
  return r;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const set = await fashionSet(opt('--work', '/tmp/ssod-bench'), SIZE, 500);
  const { store: base, ranges } = baseStore(set);
  const labelsOf = Object.fromEntries(set.splits.map((s) => [s.name, s.labels]));
  const train = ranges.train!.map((row, i) => ({ row, label: labelsOf.train![i]! }));
  const top = await adaptedTop(set, base, train);
  const evalRows = Object.entries(ranges).flatMap(([k, r]) => (k === 'train' ? [] : r));
  for (const k of opt('--channels', '0,128').split(',').map(Number)) {
    const model: AdaptedModel = k > 0 ? await withProjection(top, base, ranges.train!, k) : top;
    const store = await materialise(model, base);
    const load0 = loadavg()[0]!;
    const t0 = Date.now();
    const result = await trainHeads({
      features: store,
      classes: set.classes,
      train,
      scoreRows: evalRows,
      config: defaultHeadsConfig(),
      validation: { id: ranges['val-id']!, ood: { near: ranges['val-near']!, far: ranges['val-far']! } },
    });
    const seconds = (Date.now() - t0) / 1000;
    const scores = new Map(result.scores.map((s) => [s.row, s]));
    const of = (split: string, scorer: string): number[] => ranges[split]!.map((r) => scores.get(r)!.scores[scorer]!);
    const auroc = (split: 'val' | 'test', scorer: string, ood: 'near' | 'far'): number =>
      +oodReport(of(`${split}-id`, scorer), of(`${split}-${ood}`, scorer)).auroc.toFixed(3);
    const acc = (split: string): number =>
      +idAccuracy(
        ranges[split]!.map((r) => scores.get(r)!.predicted),
        Array.from(labelsOf[split]!),
      ).toFixed(3);
    const row: Record<string, unknown> = {
      mapChannels: k || top.layout.mapC,
      energyKept: model.projection?.energyKept ?? 1,
    };
    for (const split of ['val', 'test'] as const)
      for (const s of ['ssod', 'ssod-head', 'ssod-density', 'knn', 'mahalanobis', 'fdbd'])
        row[`${split} ${s} near/far`] = `${auroc(split, s, 'near')} / ${auroc(split, s, 'far')}`;
    Object.assign(row, {
      idAccuracy: { val: acc('val-id'), test: acc('test-id') },
      ssodIs: (result.metrics.ssodDefault as { chosen: string }).chosen,
      trainSeconds: seconds,
      timings: result.metrics.timings,
      load: [load0, loadavg()[0]!].map((x) => +x.toFixed(1)),
      cores: cpus().length,
    });
    console.log(JSON.stringify(row));
  }
}

await main();
