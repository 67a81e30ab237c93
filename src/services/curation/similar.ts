// `curation.similar`: "more like this" from an image of the project, a file on disk, or a dropped image's bytes.
// A file the project does not hold is checked to be an image first (not one: a clear refusal, nothing written),
// then its pooled feature is extracted through the EngineClient with the run's own backbone, into the project's
// content-addressed feature cache, and queried against the run's images on the curation worker.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RunRecord } from '../../db/index.js';
import type { WarmSimilar } from '../../engine/curation/similar-client.js';
import type { FeaturePlace } from '../../engine/curation/similar-session.js';
import { contentOfImage, contentsToken, imagesOfContents, readableContents } from '../../db/curation-repo.js';
import type { SimilarHit, SimilarRef } from '../../shared/curation-dto.js';
import { AppError } from '../../shared/errors.js';
import type { ServiceContext } from '../context.js';
import { adaptedFeaturesFor } from '../pipeline/adapt-step.js';
import { runTrainOptions } from '../pipeline/current-run.js';
import { backboneRequest } from '../pipeline/extract-features.js';
import type { ProjectHandle } from '../project-handle.js';
import { backboneKeyOf, requireRun } from './run.js';

interface Outside {
  sha256: string;
  bytes: Buffer;
  /** The file to extract from (absent for dropped bytes: they go through a temporary file). */
  file?: string;
  label: string;
}

async function outsideImage(ref: SimilarRef): Promise<Outside> {
  let bytes: Buffer;
  let label: string;
  if (ref.bytes !== undefined) {
    bytes = Buffer.from(ref.bytes, 'base64');
    label = 'the dropped file';
  } else {
    label = ref.file!;
    try {
      bytes = await readFile(ref.file!);
    } catch (e) {
      throw new AppError('not-found', `cannot read ${ref.file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { sha256, bytes, label, ...(ref.file !== undefined ? { file: ref.file } : {}) };
}

/** Refuses what sharp cannot decode to pixels, before anything is written. */
async function requireImage(o: Outside): Promise<void> {
  try {
    const meta = await sharp(o.bytes).metadata();
    if (!meta.width || !meta.height) throw new Error('no size');
    await sharp(o.bytes).resize(8, 8).raw().toBuffer();
  } catch {
    throw new AppError(
      'invalid-argument',
      `${o.label} is not an image SSOD Audit can read (JPEG, PNG, WebP, GIF, TIFF…)`,
    );
  }
}

/** The outside image's pooled feature in the run's feature space (cached under its sha256). */
async function extractOutside(ctx: ServiceContext, p: ProjectHandle, run: RunRecord, o: Outside): Promise<void> {
  const engine = await ctx.engines.get();
  const temp = o.file === undefined ? await mkdtemp(join(tmpdir(), 'ssod-similar-')) : null;
  try {
    const path = o.file ?? join(temp!, 'dropped');
    if (temp) await writeFile(path, o.bytes);
    const job = { signal: new AbortController().signal, progress: () => undefined };
    const result = await engine.extract({
      items: [{ sha256: o.sha256, path }],
      cacheDir: p.featuresDir,
      backbone: backboneRequest(p, [], runTrainOptions(run)),
    });
    if (result.failed.length > 0) throw new AppError('invalid-argument', `${o.label}: ${result.failed[0]!.message}`);
    const adapted = await adaptedFeaturesFor(p, engine, run, [o.sha256], job);
    if ((adapted?.key ?? result.backboneKey) !== backboneKeyOf(run)) {
      throw new AppError('no-run', "the run's features came from a backbone this engine no longer builds: train again");
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/** The contents "more like this" searches, named by a key that moves with the run and every scan: the list (a
 * million names) is read again only when the key moves. */
interface Contents {
  key: string;
  shas: string[];
}
const contentsOf = new WeakMap<ProjectHandle, Contents>();

function currentContents(p: ProjectHandle, run: RunRecord): Contents {
  const key = `${p.path}|run ${run.id}|${backboneKeyOf(run)}|${contentsToken(p.db)}`;
  const known = contentsOf.get(p);
  if (known?.key === key) return known;
  const fresh = { key, shas: readableContents(p.db) };
  contentsOf.set(p, fresh);
  return fresh;
}

/** The query's content: an image of the project, or an outside image (extracted first when it is new). */
async function queryContent(ctx: ServiceContext, p: ProjectHandle, run: RunRecord, ref: SimilarRef): Promise<string> {
  if (ref.imageId !== undefined) {
    const sha = contentOfImage(p.db, ref.imageId);
    if (!sha) throw new AppError('not-found', `no readable image ${ref.imageId} in this project`);
    return sha;
  }
  const o = await outsideImage(ref);
  if (imagesOfContents(p.db, [o.sha256]).length === 0) {
    await requireImage(o);
    // The search's contents stay as they are: the thread reads the query's features by content.
    await extractOutside(ctx, p, run, o);
  }
  return o.sha256;
}

export async function findSimilar(
  ctx: ServiceContext,
  warm: WarmSimilar,
  ref: SimilarRef,
  limit: number,
): Promise<SimilarHit[]> {
  const p = ctx.current();
  const run = requireRun(p);
  const contents = currentContents(p, run);
  const query = await queryContent(ctx, p, run, ref);
  const place = (): FeaturePlace => ({ cacheDir: p.featuresDir, backboneKey: backboneKeyOf(run), shas: contents.shas });
  const neighbours = await warm.similar(contents.key, place, query, limit);
  const images = imagesOfContents(
    p.db,
    neighbours.map((n) => contents.shas[n.row]!),
  );
  const similarity = new Map(neighbours.map((n) => [contents.shas[n.row]!, n.similarity]));
  return images
    .map((im) => ({
      imageId: im.id,
      path: im.path,
      class: im.class,
      role: im.role,
      similarity: similarity.get(im.sha256)!,
    }))
    .slice(0, limit);
}
