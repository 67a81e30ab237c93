// Image bytes by opaque id, for the HTTP bridge and Electron's image protocol. Never by path: the caller only
// ever names an id, and the path comes from the store.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { getImage } from '../db/index.js';
import { thumbPath, writeThumb, THUMB_SIZE } from '../scan/index.js';
import type { ImageVariant } from '../shared/api.js';
import { isAppError } from '../shared/errors.js';
import type { ProjectHandle } from './project-handle.js';

const BROWSER_SAFE: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};
const MAX_FULL_BYTES = 64 * 1024 * 1024;

export type ImageBytes = { body: Buffer; contentType: string } | null;

export async function imageBytes(
  project: ProjectHandle | null,
  variant: ImageVariant,
  id: number,
): Promise<ImageBytes> {
  if (!project || !Number.isSafeInteger(id) || id < 1) return null;
  let row;
  try {
    row = getImage(project.db, id);
  } catch (error) {
    if (isAppError(error, 'not-found')) return null;
    throw error;
  }
  if (row.status !== 'ok' || !row.sha256) return null;
  try {
    if (variant === 'thumb') {
      const path = thumbPath(project.thumbDir, row.sha256);
      try {
        return { body: await readFile(path), contentType: 'image/webp' };
      } catch {
        // Thumbnail cache cleared or never written: make it now (into the project cache, never the source).
        const webp = await sharp(row.path, { limitInputPixels: 50_000_000, animated: false })
          .rotate()
          .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: 80 })
          .toBuffer();
        await writeThumb(project.thumbDir, row.sha256, webp);
        return { body: webp, contentType: 'image/webp' };
      }
    }
    const type = row.format ? BROWSER_SAFE[row.format] : undefined;
    if (type && (row.width ?? 0) * (row.height ?? 0) < 40_000_000) {
      const body = await readFile(row.path);
      if (body.length <= MAX_FULL_BYTES) return { body, contentType: type };
    }
    // TIFF, BMP and huge images: a bounded PNG the browser can show.
    const png = await sharp(row.path, { limitInputPixels: 50_000_000, animated: false })
      .rotate()
      .resize(4096, 4096, { fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer();
    return { body: png, contentType: 'image/png' };
  } catch {
    return null; // vanished or unreadable since the scan: a 404, not a crash
  }
}
