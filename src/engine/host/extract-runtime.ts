// Whether an extract job runs on ONNX Runtime: the plan from the runtime chain, the converted model (prepared on
// this thread, where the tfjs backend that verifies it is active) and the worker init that runs it. A reason the
// ONNX path cannot be used is said once per engine process and recorded in every run's backend choice.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { AppError } from '../../shared/errors.js';
import { onnxChoice, planExtraction } from '../backends/runtime-chain.js';
import type { Prepared, PrepareOptions } from '../onnx/prepare.js';
import type { OnnxBackendName } from '../types.js';
import type { WorkerInit } from './extract-pool.js';
import type { EngineJobContext } from './job-context.js';

export interface RuntimePlan {
  /** Set when the ONNX path is ready to start. */
  init?: WorkerInit;
  /** Why ONNX Runtime is not used (recorded as the skip reason), when it would have been faster. */
  reason?: string;
  /** The forced ONNX name, when --backend asked for one: its failure is then an error, not a fallback. */
  forced?: OnnxBackendName;
  /** Says a fallback reason once per engine process. */
  report(reason: string): void;
}

const reported = new Set<string>();

function reportOnce(ctx: EngineJobContext, reason: string): void {
  if (reported.has(reason)) return;
  reported.add(reason);
  const message = `ONNX Runtime not used for extraction: ${reason}; falling back to ${ctx.backend.name}`;
  console.warn(message);
  ctx.progress({ phase: 'load-backbone', done: 0, total: 1, message });
}

/** Backbones with an ONNX conversion: the bundled mobilenet_v2 (null), or why not. */
export function onnxConvertible(spec: string, depsModule: string | undefined): string | null {
  if (depsModule !== undefined) return 'the engine runs with replaced dependencies';
  return spec === 'mobilenet_v2' ? null : `no ONNX conversion for backbone ${spec}`;
}

/** Intra-op threads per ONNX session: the cores the job may use, shared by its workers. */
export function threadsPerWorker(workers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

/** Converted models this engine process already prepared (verified and opened): later jobs skip the checks. */
const preparedModels = new Map<string, Prepared>();

async function prepareOnce(options: PrepareOptions): Promise<Prepared | string> {
  const key = JSON.stringify(options);
  const known = preparedModels.get(key);
  if (known !== undefined && existsSync(known.spec.modelPath)) return known;
  const { prepareMobileNetOnnx } = await import('../onnx/prepare.js');
  const prepared = await prepareMobileNetOnnx(options);
  if (typeof prepared !== 'string') preparedModels.set(key, prepared);
  return prepared;
}

export async function onnxWorkerInit(base: WorkerInit, workers: number, ctx: EngineJobContext): Promise<RuntimePlan> {
  const report = (reason: string): void => reportOnce(ctx, reason);
  const plan = planExtraction(ctx.backend, ctx.options.backend, onnxConvertible(base.backbone.spec, base.depsModule));
  if (plan.onnx === null) return plan.reason !== undefined ? { reason: plan.reason, report } : { report };
  const forced = plan.forced ? plan.onnx : undefined;
  ctx.progress({ phase: 'load-backbone', done: 0, total: 1, message: 'preparing the ONNX model' });
  const prepared = await prepareOnce({
    dir: base.backbone.modelCacheDir ?? '',
    ...(base.backbone.inputSize !== undefined ? { inputSize: base.backbone.inputSize } : {}),
    ...(base.backbone.mapLayer !== undefined ? { mapLayer: base.backbone.mapLayer } : {}),
    ...(base.backbone.pooledLayer !== undefined ? { pooledLayer: base.backbone.pooledLayer } : {}),
    provider: plan.onnx === 'onnxruntime-webgpu' ? 'webgpu' : 'cpu',
  });
  if (typeof prepared === 'string') {
    if (forced) throw new AppError('invalid-argument', `backend "${forced}" is not available: ${prepared}`);
    report(prepared);
    return { reason: prepared, report };
  }
  const init: WorkerInit = {
    ...base,
    onnx: { ...prepared.spec, threads: threadsPerWorker(workers) },
    choice: onnxChoice(ctx.backend, plan.onnx, plan.forced),
  };
  return { init, report, ...(forced ? { forced } : {}) };
}
