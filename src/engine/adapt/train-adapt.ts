// Adapt mode: train the top of the backbone (above the cached block-12 map) and its heads with SSOD's joint loss
// on cached maps. Warm-up (CLS head alone on the pretrained top), then per epoch: sample ID/OOD positions with the
// weights at the epoch's start (stop-gradient), train on random views of the maps, validate, checkpoint.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import { foldedMobileNetV2Graph } from '../backbones/folded-graph.js';
import { createRng, deriveSeed } from '../ssod/rng.js';
import { OOD_LABEL, type FeatureLayout, type FoldedGraph } from '../types.js';
import { GroupAdam } from './adam-groups.js';
import { forEachChunk, splitValidation } from './adapt-data.js';
import { HeadVariables, initialHeads } from './adapt-heads.js';
import { fingerprintOf, readCheckpoint } from './checkpoint.js';
import { resolveAdaptConfig, type AdaptConfig } from './config.js';
import { DifferentiableTop } from './differentiable-top.js';
import { passGraph, passStore, runEpoch, valAccuracyOf, type EpochContext } from './adapt-epoch.js';
import { cacheFrozenOutputs } from './frozen-cache.js';
import { joinTop, splitTop, truncateTop, type TopSplit } from './top-split.js';
import { warmUp } from './warm-up.js';
import { withProjection } from './compact-output.js';
import type { AdaptInput, AdaptResult } from './adapt-types.js';

export type { AdaptInput, AdaptProgress, AdaptResult } from './adapt-types.js';

function validateInput(input: AdaptInput, top: FoldedGraph): void {
  const { classes, train, features } = input;
  if (classes.length < 2)
    throw new AppError(
      'invalid-argument',
      'adapt mode needs at least 2 classes: with one class every position is "its own class" and nothing is background',
    );
  const perClass = new Array<number>(classes.length).fill(0);
  for (const it of train) {
    if (!(Number.isInteger(it.row) && it.row >= 0 && it.row < features.count))
      throw new AppError('invalid-argument', `adapt: train row ${it.row} is not a feature row`);
    if (it.label === OOD_LABEL) continue;
    if (!(Number.isInteger(it.label) && it.label >= 0 && it.label < classes.length))
      throw new AppError('invalid-argument', `adapt: train label ${it.label} is not a class index`);
    perClass[it.label]!++;
  }
  const empty = perClass.findIndex((n) => n === 0);
  if (empty >= 0) throw new AppError('invalid-argument', `adapt: class "${classes[empty]}" has no training image`);
  const first = top.units.find((u) => u.kind === 'conv');
  const want = first?.kind === 'conv' ? first.filterShape[2] : 0;
  if (features.layout.mapC !== want)
    throw new AppError(
      'invalid-argument',
      `adapt mode reads ${top.input} maps (${want} channels); these cached maps have ${features.layout.mapC}`,
    );
}

function outputLayout(top: FoldedGraph, input: FeatureLayout): FeatureLayout {
  const [, h, w, c] = tf.tidy(() => runFoldedGraphShape(top, input));
  return { mapH: h!, mapW: w!, mapC: c!, pooledC: c! };
}

function runFoldedGraphShape(top: FoldedGraph, input: FeatureLayout): number[] {
  const x = tf.zeros<tf.Rank.R4>([1, input.mapH, input.mapW, input.mapC]);
  const t = new DifferentiableTop(top, { trainable: new Set(), convOps: 'native' });
  try {
    return t.forward(x)[0]!.shape;
  } finally {
    t.dispose();
  }
}

/** Pooled adapted features of the fit items with the pretrained top (for the prototypes and the warm-up). */
async function initialPooled(run: EpochContext): Promise<Float32Array> {
  const c = run.layout.mapC;
  const pooled = new Float32Array(run.fit.length * c);
  await forEachChunk(passStore(run), run.fit, null, passGraph(run), 64, (out, at) => {
    pooled.set(
      tf.tidy(() => tf.mean(out, [1, 2]).dataSync()),
      at * c,
    );
  });
  return pooled;
}

function buildContext(input: AdaptInput, config: AdaptConfig, base: FoldedGraph): EpochContext {
  const whole = truncateTop(base, config.output);
  validateInput(input, whole);
  const rng = createRng(deriveSeed(config.seed, 11));
  const { fit, val } = splitValidation(input.train, config.valFraction, rng);
  const split: TopSplit = splitTop(whole, config.trainableFrom);
  const layout = outputLayout(whole, input.features.layout);
  const top = new DifferentiableTop(split.trainable);
  return {
    input,
    config,
    store: input.features,
    classes: input.classes.length,
    fit,
    val,
    split,
    top,
    layout,
    heads: undefined,
    adam: undefined,
    rng,
    curve: [],
    reports: [],
    warnings: [],
    best: undefined,
    badEpochs: 0,
    epochSeconds: [],
  };
}

function fingerprint(ctx: EpochContext, base: FoldedGraph): string {
  // Not the epoch count: a run asked for more epochs continues from the checkpoint of a shorter one.
  const { epochs: _epochs, ...config } = ctx.config;
  return fingerprintOf({
    config,
    base: base.source,
    layout: ctx.store.layout,
    train: ctx.input.train.map((t) => [t.row, t.label]),
    classes: ctx.input.classes,
  });
}

/** Every trainable array by variable name (top and heads): what a checkpoint and early stopping keep. */
export function variablesOf(ctx: EpochContext): Record<string, tf.Variable> {
  return { ...ctx.top.variables(), ...ctx.heads!.vars };
}

function makeOptimizer(ctx: EpochContext): GroupAdam {
  const topNames = new Set(Object.keys(ctx.top.variables()));
  const lr = ctx.config.learningRate;
  return new GroupAdam(variablesOf(ctx), (name) => (topNames.has(name) ? lr * ctx.config.topLearningRateScale : lr));
}

async function prepare(ctx: EpochContext, base: FoldedGraph): Promise<number> {
  const progress = (done: number): void =>
    ctx.input.onProgress?.({ phase: 'prepare', epoch: 0, epochs: ctx.config.epochs, done, total: 1 });
  progress(0);
  const saved = ctx.input.checkpointDir
    ? await readCheckpoint(ctx.input.checkpointDir, fingerprint(ctx, base))
    : undefined;
  if (ctx.config.cropShare === 0) {
    const cache = await cacheFrozenOutputs(ctx.store, [...ctx.fit, ...ctx.val], ctx.split.frozen, {
      ...(ctx.input.signal ? { signal: ctx.input.signal } : {}),
      ...(ctx.input.frozenCacheMaxBytes !== undefined ? { maxBytes: ctx.input.frozenCacheMaxBytes } : {}),
      onProgress: (done, total) => progress(done / (total + 1)),
    });
    if (cache) ctx.frozenCache = cache;
  }
  const pooled = await initialPooled(ctx);
  const labels = ctx.fit.map((t) => t.label);
  ctx.heads = new HeadVariables(initialHeads(pooled, labels, ctx.classes, ctx.config.prototypeScale));
  ctx.adam = makeOptimizer(ctx);
  progress(1);
  if (saved) {
    restoreFromCheckpoint(ctx, saved);
    return saved.epoch;
  }
  await warmUp(ctx, pooled, labels);
  const before = await valAccuracyOf(ctx);
  if (before !== undefined) ctx.valAccuracyBefore = before;
  return 0;
}

function restoreFromCheckpoint(
  ctx: EpochContext,
  saved: NonNullable<Awaited<ReturnType<typeof readCheckpoint>>>,
): void {
  const vars = variablesOf(ctx);
  for (const [name, v] of Object.entries(vars)) {
    const a = saved.arrays[`cur:${name}`];
    if (a?.length === v.size) v.assign(tf.tensor(a, v.shape));
  }
  const meta = saved.meta as Pick<EpochContext, 'curve' | 'reports' | 'badEpochs' | 'epochSeconds'> & {
    bestLoss?: number;
    bestEpoch?: number;
    adamT?: number;
    valAccuracyBefore?: number;
  };
  ctx.curve = meta.curve;
  ctx.reports = meta.reports;
  ctx.badEpochs = meta.badEpochs;
  ctx.epochSeconds = meta.epochSeconds;
  if (meta.valAccuracyBefore !== undefined) ctx.valAccuracyBefore = meta.valAccuracyBefore;
  if (meta.bestLoss !== undefined && meta.bestEpoch !== undefined) {
    const arrays: Record<string, Float32Array> = {};
    for (const name of Object.keys(vars)) arrays[name] = saved.arrays[`best:${name}`] ?? saved.arrays[`cur:${name}`]!;
    ctx.best = { loss: meta.bestLoss, epoch: meta.bestEpoch, arrays };
  }
  const moments: Record<string, { m: Float32Array; v: Float32Array }> = {};
  for (const name of Object.keys(vars)) {
    const m = saved.arrays[`m:${name}`];
    const v = saved.arrays[`v:${name}`];
    if (m && v) moments[name] = { m, v };
  }
  ctx.adam!.restore({ t: meta.adamT ?? 0, moments });
  ctx.resumedFrom = saved.epoch;
}

function finish(ctx: EpochContext, t0: number, stopReason: AdaptResult['stopReason']): AdaptResult {
  if (ctx.best) {
    const vars = variablesOf(ctx);
    for (const [name, a] of Object.entries(ctx.best.arrays)) vars[name]!.assign(tf.tensor(a, vars[name]!.shape));
  }
  const last = ctx.curve.filter((r) => r.phase === 'adapt').at(-1);
  return {
    format: 'ssod-adapt/1',
    top: joinTop(ctx.split, ctx.top.toGraph()),
    heads: ctx.heads!.weights(),
    classes: ctx.input.classes,
    config: ctx.config,
    inputLayout: ctx.store.layout,
    layout: ctx.layout,
    epochsRun: ctx.curve.filter((r) => r.phase === 'adapt').length,
    bestEpoch: ctx.best?.epoch ?? last?.epoch ?? 0,
    stopReason,
    ...(ctx.resumedFrom !== undefined ? { resumedFromEpoch: ctx.resumedFrom } : {}),
    lossCurve: ctx.curve,
    sampling: ctx.reports,
    ...(ctx.valAccuracy !== undefined ? { valAccuracy: ctx.valAccuracy } : {}),
    ...(ctx.valAccuracyBefore !== undefined ? { valAccuracyBefore: ctx.valAccuracyBefore } : {}),
    warnings: [...new Set(ctx.warnings)],
    seconds: (performance.now() - t0) / 1000,
    secondsPerEpoch: ctx.epochSeconds,
    heldOutRows: ctx.val.map((t) => t.row),
  };
}

/** Whether another joint epoch would overrun the training's budget, going by the last epoch's duration. */
export function nextEpochOverruns(elapsedSeconds: number, epochSeconds: readonly number[], budget?: number): boolean {
  const last = epochSeconds.at(-1);
  return budget !== undefined && last !== undefined && elapsedSeconds + last > budget;
}

export async function trainAdapt(input: AdaptInput): Promise<AdaptResult> {
  const t0 = performance.now();
  const config = resolveAdaptConfig(input.config);
  const base = input.top ?? foldedMobileNetV2Graph({ outputs: [config.output], from: 'block_12_add' });
  const ctx = buildContext(input, config, base);
  try {
    const start = await prepare(ctx, base);
    let stopReason: AdaptResult['stopReason'] = 'epochs';
    for (let epoch = start + 1; epoch <= config.epochs; epoch++) {
      const stop = await runEpoch(ctx, epoch, fingerprint(ctx, base));
      if (stop) {
        stopReason = 'early-stop';
        break;
      }
      const elapsed = (performance.now() - t0) / 1000;
      if (epoch < config.epochs && nextEpochOverruns(elapsed, ctx.epochSeconds, input.budgetSeconds)) {
        stopReason = 'budget';
        ctx.warnings.push(
          `stopped after joint epoch ${epoch} of ${config.epochs}: another would end after the adapt step's ` +
            `share of the budget (${Math.round(input.budgetSeconds!)} s of training; ${Math.round(elapsed)} s spent)`,
        );
        break;
      }
    }
    const result = finish(ctx, t0, stopReason);
    const fitRows = ctx.fit.map((t) => t.row);
    const projected = await withProjection(result, input.features, fitRows, config.mapChannels);
    return { ...projected, seconds: (performance.now() - t0) / 1000 };
  } finally {
    ctx.top.dispose();
    ctx.heads?.dispose();
  }
}
