// The heads part of a retrain, in this process, on a project that `npm run bench:loop -- --keep` left behind: the
// same training set (scan + standing decisions), the same cached features, content keys and warm start as the
// app's retrain, without the engine process around it, so it can be profiled (`node --cpu-prof`) and its CPU time
// read.
//   node bin/run-ts.js scripts/bench/retrain-heads.ts PROJECT_DIR [--workers N] [--runs R] [--config JSON] [--cold]
// (--config: HeadsConfig overrides, e.g. '{"epochs":8}', to weigh a schedule's cost; --cold: no warm start.)
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { openFeatureCache, readCacheLayout } from '../../src/engine/features/feature-cache.js';
import { defaultHeadsConfig, trainHeads } from '../../src/engine/ssod/index.js';
import { phaseMs, resetPhases } from '../../src/engine/ssod/profile.js';
import { dropPool } from '../../src/engine/ssod/model-pool.js';
import { knnStats } from '../../src/engine/ssod/knn.js';
import { openProject } from '../../src/services/project-handle.js';
import { buildTrainingSet } from '../../src/services/pipeline/training-set.js';
import { uniqueBySha } from '../../src/services/pipeline/by-content-hash.js';
import { currentRun } from '../../src/db/index.js';
import { loadWarm, warmPath } from '../../src/engine/host/warm-file.js';

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) throw new Error('usage: retrain-heads.ts PROJECT_DIR [--workers N] [--runs R]');
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
process.env.SSOD_HEADS_WORKERS = opt('--workers', '2');
const runs = Number(opt('--runs', '1'));
const overrides = JSON.parse(opt('--config', '{}')) as Parameters<typeof defaultHeadsConfig>[0];

await tf.setBackend('wasm');
const project = openProject(dir);
const set = buildTrainingSet(project);
const run = currentRun(project.db);
if (!run) throw new Error('the project has no run: train it first');
const runConfig = run.config as { backboneKey: string; seed?: number };
const backboneKey = runConfig.backboneKey;
const warm =
  args.includes('--cold') || !run.modelPath ? undefined : await loadWarm(warmPath(run.modelPath), backboneKey);
if (warm && 'cold' in warm) console.log(`no warm start: ${warm.cold}`);
const train = uniqueBySha(set.train.map((t) => ({ sha256: t.image.sha256, label: t.label })));
const trained = new Set(train.map((t) => t.sha256));
const score = uniqueBySha(set.inbox)
  .map((i) => i.sha256!)
  .filter((s) => !trained.has(s));
const layout = await readCacheLayout(project.featuresDir, backboneKey);
if (!layout) throw new Error(`no cached features for ${backboneKey}`);
const cache = await openFeatureCache(project.featuresDir, backboneKey, layout);
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
      train: train.map((t, row) => ({ row, label: t.label, key: t.sha256! })),
      scoreRows: score.map((_, j) => train.length + j),
      config: defaultHeadsConfig({ seed: runConfig.seed ?? 1, ...overrides }),
      ...(warm && !('cold' in warm) ? { warmStart: warm } : {}),
    });
    const wall = (performance.now() - t0) / 1000;
    const timings = result.metrics.timings as Record<string, number>;
    const phases = Object.entries(result.metrics.phaseMs as Record<string, number>)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
      .join(', ');
    console.log(
      JSON.stringify({
        run: r + 1,
        wallSeconds: +wall.toFixed(2),
        engineThreadCpuSeconds: +cpuSec(process.cpuUsage(cpu0)).toFixed(2),
        timings,
        epochs: (result.metrics.models as { epochs: number }[]).map((m) => m.epochs),
        warmStart: result.metrics.warmStart,
        threads: result.metrics.modelThreads,
        load: [load0, loadavg()[0]!].map((x) => +x.toFixed(1)),
        cores: cpus().length,
      }),
    );
    console.log(`  models' phases, summed over threads (s): ${phases}`);
    // Counted on this thread only (with --workers 1: every model's KNN).
    console.log(`  knn on this thread: ${JSON.stringify(knnStats)}`);
    console.log(
      `  engine-thread phases (s): ${JSON.stringify(Object.fromEntries(Object.entries(phaseMs).map(([k, v]) => [k, +(v / 1000).toFixed(2)])))}`,
    );
  }
} finally {
  dropPool();
  await cache.close();
  project.db.close();
}
