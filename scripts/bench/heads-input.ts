// What the two retrain profilers (retrain-heads.ts, adapt-retrain.ts) share: their option parsing and the heads'
// input as the app's retrain builds it — unique labelled images to train on, unique unlabelled inbox images to
// score, the cached features under one backbone key.
import { cpus, loadavg } from 'node:os';
import { openFeatureCache, readCacheLayout } from '../../src/engine/features/feature-cache.js';
import { phaseMs } from '../../src/engine/ssod/profile.js';
import type { ProjectHandle } from '../../src/services/project-handle.js';
import { buildTrainingSet } from '../../src/services/pipeline/training-set.js';
import { uniqueBySha } from '../../src/services/pipeline/by-content-hash.js';

export function option(args: readonly string[], name: string, def: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
}

export async function openHeadsInput(project: ProjectHandle, key: string) {
  const set = buildTrainingSet(project);
  const train = uniqueBySha(set.train.map((t) => ({ sha256: t.image.sha256, label: t.label })));
  const trained = new Set(train.map((t) => t.sha256));
  const score = uniqueBySha(set.inbox)
    .map((i) => i.sha256!)
    .filter((s) => !trained.has(s));
  const layout = await readCacheLayout(project.featuresDir, key);
  if (!layout) throw new Error(`no cached features for ${key}`);
  const cache = await openFeatureCache(project.featuresDir, key, layout);
  return {
    classes: set.classes,
    layout,
    cache,
    features: cache.featureStore([...train.map((t) => t.sha256!), ...score]),
    train: train.map((t, row) => ({ row, label: t.label, key: t.sha256! })),
    scoreRows: score.map((_, j) => train.length + j),
  };
}

/** Starts a timed run; the returned function gives its wall, this thread's CPU and the load before and after. */
export function startClock(): () => {
  wallSeconds: number;
  engineThreadCpuSeconds: number;
  load: number[];
  cores: number;
} {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const load0 = loadavg()[0]!;
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return {
      wallSeconds: +((performance.now() - t0) / 1000).toFixed(2),
      engineThreadCpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
      load: [load0, loadavg()[0]!].map((x) => +x.toFixed(1)),
      cores: cpus().length,
    };
  };
}

export function printThreadPhases(): void {
  const seconds = Object.entries(phaseMs).map(([k, v]) => [k, +(v / 1000).toFixed(2)]);
  console.log(`  engine-thread phases (s): ${JSON.stringify(Object.fromEntries(seconds))}`);
}
