// The heads part of a retrain, in this process, on a project that `npm run bench:loop -- --keep` left behind: the
// same training set (scan + standing decisions), the same cached features, content keys and warm start as the
// app's retrain, without the engine process around it, so it can be profiled (`node --cpu-prof`) and its CPU time
// read.
//   node bin/run-ts.js scripts/bench/retrain-heads.ts PROJECT_DIR [--workers N] [--runs R] [--config JSON] [--cold]
// (--config: HeadsConfig overrides, e.g. '{"epochs":8}', to weigh a schedule's cost; --cold: no warm start.)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { defaultHeadsConfig, trainHeads } from '../../src/engine/ssod/index.js';
import { resetPhases } from '../../src/engine/ssod/profile.js';
import { dropPool } from '../../src/engine/ssod/model-pool.js';
import { knnStats } from '../../src/engine/ssod/knn.js';
import { openProject } from '../../src/services/project-handle.js';
import { currentRun } from '../../src/db/index.js';
import { loadWarm, warmPath } from '../../src/engine/host/warm-file.js';
import { openHeadsInput, option, printThreadPhases, startClock } from './heads-input.js';

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) throw new Error('usage: retrain-heads.ts PROJECT_DIR [--workers N] [--runs R]');
process.env.SSOD_HEADS_WORKERS = option(args, '--workers', '2');
const runs = Number(option(args, '--runs', '1'));
const overrides = JSON.parse(option(args, '--config', '{}')) as Parameters<typeof defaultHeadsConfig>[0];

await tf.setBackend('wasm');
const project = openProject(dir);
const run = currentRun(project.db);
if (!run) throw new Error('the project has no run: train it first');
const runConfig = run.config as { backboneKey: string; seed?: number };
const backboneKey = runConfig.backboneKey;
const warm =
  args.includes('--cold') || !run.modelPath ? undefined : await loadWarm(warmPath(run.modelPath), backboneKey);
if (warm && 'cold' in warm) console.log(`no warm start: ${warm.cold}`);
const { cache, layout: _layout, ...input } = await openHeadsInput(project, backboneKey);
try {
  for (let r = 0; r < runs; r++) {
    resetPhases();
    const stop = startClock();
    const result = await trainHeads({
      ...input,
      config: defaultHeadsConfig({ seed: runConfig.seed ?? 1, ...overrides }),
      ...(warm && !('cold' in warm) ? { warmStart: warm } : {}),
    });
    const clock = stop();
    const timings = result.metrics.timings as Record<string, number>;
    const phases = Object.entries(result.metrics.phaseMs as Record<string, number>)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
      .join(', ');
    console.log(
      JSON.stringify({
        run: r + 1,
        wallSeconds: clock.wallSeconds,
        engineThreadCpuSeconds: clock.engineThreadCpuSeconds,
        timings,
        epochs: (result.metrics.models as { epochs: number }[]).map((m) => m.epochs),
        warmStart: result.metrics.warmStart,
        threads: result.metrics.modelThreads,
        load: clock.load,
        cores: clock.cores,
      }),
    );
    console.log(`  models' phases, summed over threads (s): ${phases}`);
    // Counted on this thread only (with --workers 1: every model's KNN).
    console.log(`  knn on this thread: ${JSON.stringify(knnStats)}`);
    printThreadPhases();
  }
} finally {
  dropPool();
  await cache.close();
  project.db.close();
}
