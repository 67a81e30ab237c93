// Per-content statistics for curation (perceptual hashes, image-quality statistics), computed once from the
// scan's thumbnail of each content and stored by sha256: memory stays flat (one thumbnail decoded at a time per
// lane), and a rescan or a retrain never recomputes them.
import sharp from 'sharp';
import { contentStats, putContentStats, type ContentStats, type CurationImage } from '../../db/curation-repo.js';
import { imageHashes } from '../../engine/curation/perceptual-hash.js';
import { qualityStats } from '../../engine/curation/image-quality.js';
import { thumbPath } from '../../scan/index.js';
import type { ProjectHandle } from '../project-handle.js';

const LANES = 4;
const WRITE_EVERY = 500;

async function statsOf(thumbDir: string, sha256: string): Promise<ContentStats | null> {
  try {
    const { data, info } = await sharp(thumbPath(thumbDir, sha256)).raw().toBuffer({ resolveWithObject: true });
    const pixels = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
    const h = imageHashes(pixels);
    const q = qualityStats(pixels);
    return {
      sha256,
      dHash: h.dHash,
      pHash: h.pHash,
      brightness: q.brightness,
      contrast: q.contrast,
      sharpness: q.sharpness,
      colourfulness: q.colourfulness,
    };
  } catch {
    // No thumbnail (an image scanned before thumbnails, or a removed cache): the image is skipped, not fatal.
    return null;
  }
}

/** One computation at a time per project: a second caller (another window, the map after the grid) waits for the
 * first and then finds its statistics stored instead of decoding the same thumbnails again. */
const inFlight = new WeakMap<object, Promise<unknown>>();

/** Stats of every content among `images`, computing the missing ones. */
export async function ensureContentStats(
  p: ProjectHandle,
  images: readonly CurationImage[],
): Promise<Map<string, ContentStats>> {
  const prior = inFlight.get(p.db);
  if (prior) await prior.catch(() => undefined);
  const run = computeMissing(p, images);
  inFlight.set(p.db, run);
  try {
    return await run;
  } finally {
    if (inFlight.get(p.db) === run) inFlight.delete(p.db);
  }
}

async function computeMissing(p: ProjectHandle, images: readonly CurationImage[]): Promise<Map<string, ContentStats>> {
  const known = contentStats(p.db);
  const todo = [...new Set(images.map((i) => i.sha256).filter((s): s is string => s !== null && !known.has(s)))];
  let pending: ContentStats[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < todo.length) {
      const sha = todo[next++]!;
      const s = await statsOf(p.thumbDir, sha);
      if (!s) continue;
      known.set(sha, s);
      pending.push(s);
      if (pending.length >= WRITE_EVERY) {
        putContentStats(p.db, pending);
        pending = [];
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  putContentStats(p.db, pending);
  return known;
}
