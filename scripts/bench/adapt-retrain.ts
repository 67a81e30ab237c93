// The heads part of a retrain after an adapt run, in this process: the project's training set (scan + standing
// decisions), the adapted features the current run's adapted top cached, the trainer's defaults. Prints the wall
// time, the trainer's timings and where the models' time went, so the retrain on an adapted top can be profiled.
//   node bin/run-ts.js scripts/bench/adapt-retrain.ts PROJECT_DIR [--runs R] [--config JSON]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { defaultHeadsConfig, trainHeads } from '../../src/engine/ssod/index.js';
import { resetPhases } from '../../src/engine/ssod/profile.js';
import { dropPool } from '../../src/engine/ssod/model-pool.js';
import { openProject } from '../../src/services/project-handle.js';
import { listRuns } from '../../src/db/index.js';
import { openHeadsInput, option, printThreadPhases, startClock } from './heads-input.js';

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) throw new Error('usage: adapt-retrain.ts PROJECT_DIR [--runs R] [--config JSON]');
const runs = Number(option(args, '--runs', '1'));
const overrides = JSON.parse(option(args, '--config', '{}')) as Parameters<typeof defaultHeadsConfig>[0];

await tf.setBackend('wasm');
const project = openProject(dir);
const adapted =
  option(args, '--key', '') ||
  listRuns(project.db)
    .map((r) => (r.metrics as { adapt?: { record?: { adaptedKey: string } } }).adapt?.record?.adaptedKey)
    .find((k) => k !== undefined);
if (!adapted) throw new Error('no run of this project adapted a top: train it with --mode adapt first');
const { cache, layout, ...input } = await openHeadsInput(project, adapted);
try {
  for (let r = 0; r < runs; r++) {
    resetPhases();
    const stop = startClock();
    const result = await trainHeads({ ...input, config: defaultHeadsConfig({ seed: 1, ...overrides }) });
    const clock = stop();
    console.log(
      JSON.stringify({
        run: r + 1,
        layout,
        wallSeconds: clock.wallSeconds,
        engineThreadCpuSeconds: clock.engineThreadCpuSeconds,
        timings: result.metrics.timings,
        oofIdAccuracy: result.metrics.oofIdAccuracy,
        epochs: (result.metrics.models as { epochs: number }[]).map((m) => m.epochs),
        threads: result.metrics.modelThreads,
        load: clock.load,
        cores: clock.cores,
      }),
    );
    console.log(`  models' phases, summed over threads (ms): ${JSON.stringify(result.metrics.phaseMs)}`);
    printThreadPhases();
  }
} finally {
  dropPool();
  await cache.close();
  project.db.close();
}
