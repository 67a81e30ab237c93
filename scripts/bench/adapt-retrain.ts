// The heads part of a retrain after an adapt run, in this process: the project's training set (scan + standing
// decisions), the adapted features the current run's adapted top cached, the trainer's defaults. Prints the wall
// time, the trainer's timings and where the models' time went, so the retrain on an adapted top can be profiled.
//   node bin/run-ts.js scripts/bench/adapt-retrain.ts PROJECT_DIR [--runs R] [--config JSON]
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { openFeatureCache, readCacheLayout } from '../../src/engine/features/feature-cache.js';
import { defaultHeadsConfig, trainHeads } from '../../src/engine/ssod/index.js';
import { phaseMs, resetPhases } from '../../src/engine/ssod/profile.js';
import { dropPool } from '../../src/engine/ssod/model-pool.js';
import { openProject } from '../../src/services/project-handle.js';
import { buildTrainingSet } from '../../src/services/pipeline/training-set.js';
import { uniqueBySha } from '../../src/services/pipeline/by-content-hash.js';
import { listRuns } from '../../src/db/index.js';

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) throw new Error('usage: adapt-retrain.ts PROJECT_DIR [--runs R] [--config JSON]');
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const runs = Number(opt('--runs', '1'));
const overrides = JSON.parse(opt('--config', '{}')) as Parameters<typeof defaultHeadsConfig>[0];

await tf.setBackend('wasm');
const project = openProject(dir);
const set = buildTrainingSet(project);
const adapted =
  opt('--key', '') ||
  listRuns(project.db)
    .map((r) => (r.metrics as { adapt?: { record?: { adaptedKey: string } } }).adapt?.record?.adaptedKey)
    .find((k) => k !== undefined);
if (!adapted) throw new Error('no run of this project adapted a top: train it with --mode adapt first');
const train = uniqueBySha(set.train.map((t) => ({ sha256: t.image.sha256, label: t.label })));
const trained = new Set(train.map((t) => t.sha256));
const score = uniqueBySha(set.inbox)
  .map((i) => i.sha256!)
  .filter((s) => !trained.has(s));
const layout = await readCacheLayout(project.featuresDir, adapted);
if (!layout) throw new Error(`no cached features for ${adapted}`);
const cache = await openFeatureCache(project.featuresDir, adapted, layout);
const shas = [...train.map((t) => t.sha256!), ...score];
const cpuSec = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
try {
  for (let r = 0; r < runs; r++) {
    resetPhases();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const load0 = loadavg()[0]!;
    const result = await trainHeads({
      features: cache.featureStore(shas),
      classes: set.classes,
      train: train.map((t, row) => ({ row, label: t.label })),
      scoreRows: score.map((_, j) => train.length + j),
      config: defaultHeadsConfig({ seed: 1, ...overrides }),
    });
    const wall = (performance.now() - t0) / 1000;
    console.log(
      JSON.stringify({
        run: r + 1,
        layout,
        wallSeconds: +wall.toFixed(2),
        engineThreadCpuSeconds: +cpuSec(process.cpuUsage(cpu0)).toFixed(2),
        timings: result.metrics.timings,
        oofIdAccuracy: result.metrics.oofIdAccuracy,
        epochs: (result.metrics.models as { epochs: number }[]).map((m) => m.epochs),
        threads: result.metrics.modelThreads,
        load: [load0, loadavg()[0]!].map((x) => +x.toFixed(1)),
        cores: cpus().length,
      }),
    );
    console.log(`  models' phases, summed over threads (ms): ${JSON.stringify(result.metrics.phaseMs)}`);
    console.log(
      `  engine-thread phases (s): ${JSON.stringify(Object.fromEntries(Object.entries(phaseMs).map(([k, v]) => [k, +(v / 1000).toFixed(2)])))}`,
    );
  }
} finally {
  dropPool();
  await cache.close();
  project.db.close();
}
