// OOD-quality benchmark on real data nobody here made: Fashion-MNIST (ID = classes 0-5, near-OOD = 6-9) and
// letters A-J rendered from Debian fonts (far-OOD), features from nsfwjs's MobileNetV2 at input 128.
// Compares SSOD variants with every baseline on validation and test, picks the SSOD variant by validation.
//   apt-get install -y dataset-fashion-mnist imagemagick fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-urw-base35
//   node bin/run-ts.js scripts/bench/quality.ts [--work /tmp/ssod-bench] [--per-class 500] [--only NAME,...] [--json FILE]
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { auroc, fpr95, idAccuracy } from '../../src/engine/metrics/index.js';
import { createMemoryStore, defaultHeadsConfig, trainHeads } from '../../src/engine/ssod/index.js';
import { fromSavedHeads } from '../../src/engine/ssod/model.js';
import { scoreRaw, ssodOf } from '../../src/engine/ssod/score.js';
import type { HeadsConfig } from '../../src/engine/types.js';
import { benchFeatures, type FeatureSet } from './quality-data.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const work = opt('--work', '/tmp/ssod-bench');
const perClass = Number(opt('--per-class', '500'));
const only = opt('--only', '');

interface VariantSpec {
  name: string;
  mapLayer: string;
  pooledLayer: string;
  variant: HeadsConfig['variant'];
  /** Extra score readings of the same trained model. */
  readings?: { ssodScore?: string; pooling?: string }[];
}

const M12 = 'block_12_add';
const M13 = 'block_13_expand_relu';
const P16 = 'block_16_expand_relu';
const VARIANTS: VariantSpec[] = [
  // The paper's recipe on frozen features: no neck, raw features, linear 1x1 OOD head.
  {
    name: 'plain-linear',
    mapLayer: M13,
    pooledLayer: P16,
    variant: { neck: 0, oodHead: 'linear', inputNorm: false, ssodScore: 'head' },
    readings: [{ pooling: 'mean' }, { pooling: 'min' }],
  },
  {
    name: 'plain-linear-b12',
    mapLayer: M12,
    pooledLayer: P16,
    variant: { neck: 0, oodHead: 'linear', inputNorm: false, ssodScore: 'head' },
  },
  // Neck + bounded prototype head; readings: head alone, density, fusions, pooling.
  {
    name: 'neck64-proto',
    mapLayer: M13,
    pooledLayer: P16,
    variant: { neck: 64, oodHead: 'prototype', inputNorm: true, ssodScore: 'head' },
    readings: [
      { ssodScore: 'density' },
      { ssodScore: 'fused' },
      { ssodScore: 'fused-mahalanobis' },
      { pooling: 'min' },
      { pooling: 'mean' },
    ],
  },
  {
    name: 'neck64-proto-b12',
    mapLayer: M12,
    pooledLayer: P16,
    variant: { neck: 64, oodHead: 'prototype', inputNorm: true, ssodScore: 'head' },
    readings: [{ ssodScore: 'density' }, { ssodScore: 'fused' }, { ssodScore: 'fused-mahalanobis' }],
  },
  {
    name: 'neck128-linear',
    mapLayer: M13,
    pooledLayer: P16,
    variant: { neck: 128, oodHead: 'linear', inputNorm: true, ssodScore: 'head' },
    readings: [{ ssodScore: 'density' }, { ssodScore: 'fused' }, { ssodScore: 'fused-mahalanobis' }],
  },
];

function concatStore(sets: FeatureSet[], mapLayer: string, pooledLayer: string) {
  const mo = sets[0]!.outs.find((o) => o.name === mapLayer)!;
  const po = sets[0]!.outs.find((o) => o.name === pooledLayer)!;
  const n = sets.reduce((a, s) => a + s.n, 0);
  const maps = new Float32Array(n * mo.h * mo.w * mo.c);
  const pooled = new Float32Array(n * po.c);
  const ranges: Record<string, number[]> = {};
  let at = 0;
  for (const s of sets) {
    maps.set(s.maps[mapLayer]!, at * mo.h * mo.w * mo.c);
    pooled.set(s.pooled[pooledLayer]!, at * po.c);
    ranges[s.name] = Array.from({ length: s.n }, (_, i) => at + i);
    at += s.n;
  }
  const layout = { mapH: mo.h, mapW: mo.w, mapC: mo.c, pooledC: po.c };
  return { store: createMemoryStore(layout, maps, pooled), ranges, layout };
}

type Row = {
  variant: string;
  split: 'val' | 'test';
  scorer: string;
  nearAuroc: number;
  nearFpr: number;
  farAuroc: number;
  farFpr: number;
  acc: number;
};

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const sets = await benchFeatures(work, 128, perClass);
  const byName = Object.fromEntries(sets.map((s) => [s.name, s]));
  const rows: Row[] = [];
  const timings: Record<string, number> = {};
  for (const spec of VARIANTS) {
    if (only && !only.split(',').includes(spec.name)) continue;
    const { store, ranges } = concatStore(sets, spec.mapLayer, spec.pooledLayer);
    const train = ranges.train!.map((row, i) => ({ row, label: byName.train!.labels[i]! }));
    const scoreRows = ['val-id', 'val-near', 'val-far', 'test-id', 'test-near', 'test-far'].flatMap((k) => ranges[k]!);
    const config = defaultHeadsConfig({ folds: 2, variant: spec.variant });
    const t0 = Date.now();
    const result = await trainHeads({
      features: store,
      classes: ['0', '1', '2', '3', '4', '5'],
      train,
      scoreRows,
      config,
      onProgress: (p) =>
        console.error(
          `  ${spec.name} ${p.phase} epoch ${p.done}/${p.total} loss ${p.loss?.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
        ),
    });
    timings[spec.name] = Date.now() - t0;
    const model = fromSavedHeads(result.model);
    const readings = [{}, ...(spec.readings ?? [])] as { ssodScore?: string; pooling?: string }[];
    for (const rd of readings) {
      const label = [spec.name, rd.ssodScore, rd.pooling && `pool-${rd.pooling}`].filter(Boolean).join('/');
      const m = {
        ...model,
        variant: { ...model.variant, ...(rd.pooling ? { pooling: rd.pooling } : {}) },
      } as typeof model;
      if (rd.ssodScore) m.ssodScore = rd.ssodScore as typeof m.ssodScore;
      const raw = await scoreRaw(m, store, scoreRows);
      raw.scores.ssod = ssodOf(m, raw.scores);
      const at = new Map(scoreRows.map((r, i) => [r, i]));
      const get = (k: string, s: string): number[] => ranges[k]!.map((r) => raw.scores[s]![at.get(r)!]!);
      const scorers = Object.keys(raw.scores).filter((s) => s === 'ssod' || readings.indexOf(rd) === 0);
      for (const split of ['val', 'test'] as const) {
        const idK = `${split}-id`;
        const acc = idAccuracy(
          ranges[idK]!.map((r) => raw.predicted[at.get(r)!]!),
          Array.from(byName[idK]!.labels),
        );
        for (const s of scorers) {
          const id = get(idK, s);
          const near = get(`${split}-near`, s);
          const far = get(`${split}-far`, s);
          const name = s === 'ssod' ? label : s;
          rows.push({
            variant: spec.name,
            split,
            scorer: name,
            nearAuroc: auroc(id, near),
            nearFpr: fpr95(id, near),
            farAuroc: auroc(id, far),
            farFpr: fpr95(id, far),
            acc,
          });
        }
      }
    }
    console.error(
      `${spec.name}: ${(timings[spec.name]! / 1000).toFixed(1)} s, ${JSON.stringify(result.metrics.warnings)}, sampling ${JSON.stringify(result.metrics.samplingShare)}`,
    );
  }
  const f = (x: number): string => x.toFixed(3);
  for (const split of ['val', 'test'] as const) {
    console.log(
      `\n### ${split}\n\n| scorer (variant) | near AUROC | near FPR95 | far AUROC | far FPR95 | ID acc |\n|---|---|---|---|---|---|`,
    );
    for (const r of rows.filter((x) => x.split === split))
      console.log(
        `| ${r.scorer}${r.scorer.includes('/') || r.scorer.startsWith(r.variant) ? '' : ` (${r.variant})`} | ${f(r.nearAuroc)} | ${f(r.nearFpr)} | ${f(r.farAuroc)} | ${f(r.farFpr)} | ${f(r.acc)} |`,
      );
  }
  console.log(
    `\nmachine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, backend ${tf.getBackend()}; timings ${JSON.stringify(timings)}`,
  );
  const json = opt('--json', '');
  if (json) writeFileSync(json, JSON.stringify({ rows, timings }, null, 1));
}

await main();
