// An adapted top on disk: `<name>.<sha8>.bin` (every weight of the top and its heads, float32 little-endian,
// named by its content) then `<name>.json` by temp + rename: a crash leaves the old model or the new one. The
// weights' sha256 is the model's identity: it is part of the feature-cache key of every adapted feature.
import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { writeDurably } from '../durable-write.js';
import type { FoldedGraph, FoldedUnit, PreprocessSpec } from '../types.js';
import type { HeadWeights } from './adapt-heads.js';
import type { AdaptResult } from './adapt-types.js';
import type { MapProjection } from './map-projection.js';

const FORMAT = 'ssod-adapted-top/1';

/** What scoring and extraction need of an adapt run. */
export type AdaptedModel = Pick<
  AdaptResult,
  'top' | 'heads' | 'classes' | 'config' | 'inputLayout' | 'layout' | 'projection'
> & {
  /** How images become the base backbone's input (recorded so new images are treated alike). */
  preprocess?: PreprocessSpec;
};

interface Packed {
  json: Record<string, unknown>;
  weights: Float32Array;
}

function pack(model: AdaptedModel): Packed {
  const parts: Float32Array[] = [];
  let offset = 0;
  const put = (a: Float32Array): { offset: number; length: number } => {
    parts.push(a);
    offset += a.length;
    return { offset: offset - a.length, length: a.length };
  };
  const units = model.top.units.map((u) => (u.kind === 'add' ? u : { ...u, filter: put(u.filter), bias: put(u.bias) }));
  const heads = {
    ...model.heads,
    clsW: put(model.heads.clsW),
    clsB: put(model.heads.clsB),
    prototypes: put(model.heads.prototypes),
  };
  const projection = model.projection ? { ...model.projection, dirs: put(model.projection.dirs) } : undefined;
  const weights = new Float32Array(offset);
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.length;
  }
  return { json: { ...model, top: { ...model.top, units }, heads, ...(projection ? { projection } : {}) }, weights };
}

type Ref = { offset: number; length: number };

function unpack(json: Record<string, unknown>, weights: Float32Array): AdaptedModel {
  const take = (r: Ref): Float32Array => {
    if (!(r && r.offset >= 0 && r.offset + r.length <= weights.length))
      throw new AppError('io-error', 'adapted model: bad weight reference');
    return weights.slice(r.offset, r.offset + r.length);
  };
  const top = json['top'] as FoldedGraph & { units: (FoldedUnit & { filter?: Ref; bias?: Ref })[] };
  const units = top.units.map((u): FoldedUnit =>
    u.kind === 'add' ? u : { ...u, filter: take(u.filter as unknown as Ref), bias: take(u.bias as unknown as Ref) },
  );
  const h = json['heads'] as Omit<HeadWeights, 'clsW' | 'clsB' | 'prototypes'> & {
    clsW: Ref;
    clsB: Ref;
    prototypes: Ref;
  };
  const heads: HeadWeights = {
    ...h,
    clsW: take(h.clsW),
    clsB: take(h.clsB),
    prototypes: take(h.prototypes),
  };
  const p = json['projection'] as (Omit<MapProjection, 'dirs'> & { dirs: Ref }) | undefined;
  const projection = p ? { ...p, dirs: take(p.dirs) } : undefined;
  if (projection && projection.dirs.length !== projection.c * projection.k)
    throw new AppError('io-error', 'adapted model: the projection does not match its size');
  return { ...(json as unknown as AdaptedModel), top: { ...top, units }, heads, ...(projection ? { projection } : {}) };
}

export function adaptedWeightsSha256(model: AdaptedModel): string {
  const { weights } = pack(model);
  return createHash('sha256').update(new Uint8Array(weights.buffer)).digest('hex');
}

/** Saves the model; returns the weights' sha256. */
export async function saveAdapted(jsonPath: string, model: AdaptedModel): Promise<string> {
  if (!jsonPath.endsWith('.json')) throw new AppError('invalid-argument', 'adapted model path must end in .json');
  const { json, weights } = pack(model);
  const bytes = new Uint8Array(weights.buffer);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const stem = basename(jsonPath).replace(/\.json$/, '');
  const weightsFile = `${stem}.${sha.slice(0, 8)}.bin`;
  const dir = dirname(jsonPath);
  await writeDurably(join(dir, weightsFile), bytes);
  await writeDurably(jsonPath, JSON.stringify({ format: FORMAT, weightsFile, weightsSha256: sha, model: json }));
  const stale = (await readdir(dir)).filter(
    (n) => n !== weightsFile && n.startsWith(`${stem}.`) && /\.[0-9a-f]{8}\.bin$/.test(n),
  );
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true })));
  return sha;
}

export async function loadAdapted(jsonPath: string): Promise<{ model: AdaptedModel; sha256: string }> {
  let file: { format?: string; weightsFile: string; weightsSha256: string; model: Record<string, unknown> };
  try {
    file = JSON.parse(await readFile(jsonPath, 'utf8')) as typeof file;
  } catch (e) {
    throw new AppError('not-found', `cannot read adapted model ${jsonPath}: ${(e as Error).message}`);
  }
  if (file.format !== FORMAT) throw new AppError('invalid-argument', `${jsonPath} is not an adapted model (${FORMAT})`);
  if (basename(file.weightsFile) !== file.weightsFile)
    throw new AppError('invalid-argument', `adapted model ${jsonPath} names weights outside its folder`);
  const bytes = await readFile(join(dirname(jsonPath), file.weightsFile)).catch((e: Error) => {
    throw new AppError('not-found', `adapted weights ${file.weightsFile} are missing: ${e.message}`);
  });
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== file.weightsSha256)
    throw new AppError('io-error', `adapted weights ${file.weightsFile} do not match ${jsonPath}`);
  const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { model: unpack(file.model, weights), sha256: sha };
}

/** Feature-cache key of adapted features: the adapted weights and how images were prepared. */
export function adaptedKey(sha256: string, preprocess?: PreprocessSpec): string {
  const p = preprocess
    ? `:${preprocess.size}:${preprocess.fit}:${preprocess.mean.join(',')}/${preprocess.std.join(',')}`
    : '';
  return `mobilenet_v2+adapted:${sha256}${p}`;
}
