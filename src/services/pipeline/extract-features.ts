// Feature extraction, the first step of training and scoring: every distinct image (by content) goes through the
// backbone once; the engine caches the features under the project, so a retrain extracts only what is new.
import { join } from 'node:path';
import type { ImageBrief } from '../../db/index.js';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { BackboneRequest, ExtractResult } from '../../engine/host/protocol.js';
import type { TrainOptions } from '../../shared/dto.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import { uniqueBySha } from './by-content-hash.js';

export const DEFAULT_BACKBONE = 'mobilenet_v2';

export async function extractFeatures(
  project: ProjectHandle,
  engine: EngineClient,
  images: ImageBrief[],
  options: TrainOptions,
  ctx: JobContext,
): Promise<ExtractResult> {
  const items = uniqueBySha(images).map((i) => ({ sha256: i.sha256!, path: i.path }));
  return engine.extract(
    { items, cacheDir: project.featuresDir, backbone: backboneRequest(project, images, options) },
    (p) => ctx.progress({ phase: 'extract', done: p.done, total: p.total }),
    ctx.signal,
  );
}

/** The backbone as extraction runs it for these images (the input size follows their median side). */
export function backboneRequest(project: ProjectHandle, images: ImageBrief[], options: TrainOptions): BackboneRequest {
  const medianSide = median(images.map((i) => Math.min(i.width ?? 224, i.height ?? 224)));
  return {
    spec: options.backbone ?? DEFAULT_BACKBONE,
    inputSize: options.inputSize ?? chooseInputSize(medianSide),
    mapLayer: options.layer,
    modelCacheDir: join(project.cacheDir, 'models'),
  };
}

/** Small images are not upscaled to 224: the backbone runs at a size near the data's. */
export function chooseInputSize(medianSide: number): number {
  if (medianSide <= 64) return 96;
  if (medianSide <= 128) return 128;
  if (medianSide <= 176) return 160;
  return 224;
}

function median(values: number[]): number {
  if (!values.length) return 224;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
