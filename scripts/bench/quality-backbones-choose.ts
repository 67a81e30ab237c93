// Which nodes of the human-models detectors to read, and how to feed them, chosen on the quality benchmark's
// VALIDATION splits only (the test splits are extracted with the rest but never read here). The measure is short
// and is what the shipped default mostly is: a class-conditional Gaussian (shared, shrunk covariance) fitted on the
// training split's pooled feature at that node, scored on val-id against val-near and val-far; AUROC averaged over
// near and far and over the three sets. The map must be a stride-16 node of at most 128 channels (the sampling
// map is cached per image: MobileNetV2's is 96); the pooled feature may be any candidate.
//   node bin/run-ts.js scripts/bench/quality-backbones-choose.ts [--work /tmp/ssod-bench] [--size 128]
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { oodReport } from '../../src/engine/metrics/index.js';
import { fitGaussian, gaussianScores } from '../../src/engine/ssod/scorers.js';
import { digitsSet } from './quality-digits.js';
import { emojiSet } from './quality-emoji.js';
import { CANDIDATES } from './quality-backbone-nodes.js';
import { fashionSetFor, graphBackbone, type GraphBackboneSpec, type GraphInput } from './quality-backbones.js';
import type { BenchSet } from './quality-sets.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const work = opt('--work', '/tmp/ssod-bench');
const SIZE = Number(opt('--size', '128'));

/** Mean of near and far validation AUROC of a Gaussian on the pooled feature `alias`. */
function gaussianValAuroc(set: BenchSet, alias: string): { near: number; far: number } {
  const by = Object.fromEntries(set.splits.map((s) => [s.name, s]));
  const d = set.splits[0]!.outs.find((o) => o.name === alias)!.c;
  const train = by.train!;
  const g = fitGaussian(train.pooled[alias]!, train.labels, d, set.classes.length);
  const score = (split: string): Float32Array => gaussianScores(g, by[split]!.pooled[alias]!);
  const id = score('val-id');
  return { near: oodReport(id, score('val-near')).auroc, far: oodReport(id, score('val-far')).auroc };
}

async function setsFor(model: GraphBackboneSpec['model'], input: GraphInput): Promise<BenchSet[]> {
  const c = CANDIDATES[model];
  const nodes = [...c.map, ...c.deep];
  const bb = graphBackbone(`${model}-${input}-candidates`, { model, input, nodes }, c.map[0]!.alias, c.deep[0]!.alias);
  return [await fashionSetFor(work, SIZE, 500, bb), await emojiSet(work, SIZE, bb), await digitsSet(work, SIZE, bb)];
}

interface Row {
  input: GraphInput;
  alias: string;
  isMap: boolean;
  perSet: string[];
  mean: number;
}

async function rowsFor(model: GraphBackboneSpec['model']): Promise<Row[]> {
  const rows: Row[] = [];
  for (const input of CANDIDATES[model].inputs) {
    const sets = await setsFor(model, input);
    const c = CANDIDATES[model];
    for (const n of [...c.map, ...c.deep]) {
      const r = sets.map((s) => gaussianValAuroc(s, n.alias));
      const mean = r.reduce((a, x) => a + (x.near + x.far) / 2, 0) / r.length;
      const perSet = r.map((x) => `${x.near.toFixed(3)} / ${x.far.toFixed(3)}`);
      rows.push({ input, alias: n.alias, isMap: c.map.includes(n), perSet, mean });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  for (const model of ['centernet', 'nanodet'] as const) {
    const rows = await rowsFor(model);
    console.log(`\n### ${model} at input ${SIZE}: Gaussian on the pooled node, validation AUROC near / far\n`);
    console.log('| input | node | map candidate | fashion | emoji | digits | mean |\n|---|---|---|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.input} | ${r.alias} | ${r.isMap ? 'yes' : ''} | ${r.perSet.join(' | ')} | ${r.mean.toFixed(3)} |`,
      );
    // The input convention is chosen first, on the mean of its best map and best pooled node.
    const best = (input: GraphInput, maps: boolean): Row =>
      rows.filter((r) => r.input === input && (!maps || r.isMap)).sort((a, b) => b.mean - a.mean)[0]!;
    const byInput = CANDIDATES[model].inputs.map((i) => ({ i, v: (best(i, true).mean + best(i, false).mean) / 2 }));
    const input = byInput.sort((a, b) => b.v - a.v)[0]!.i;
    console.log(`\nchosen: input ${input}, map ${best(input, true).alias}, pooled ${best(input, false).alias}`);
  }
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
}

await main();
