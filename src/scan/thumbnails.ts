// Thumbnail cache keyed by content hash: identical files share one thumbnail, a moved file keeps it, and the
// scanned folders are never written to. Files land by rename, so a reader (or a SIGKILL) never sees half a file.
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Longest side of a thumbnail in pixels (fits a 256×256 box, never enlarged). */
export const THUMB_SIZE = 256;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `<thumbDir>/<first two hex digits>/<sha256>.webp`. Services pass `<project>/cache/thumbs` as thumbDir. */
export function thumbPath(thumbDir: string, sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`);
  return join(thumbDir, sha256.slice(0, 2), `${sha256}.webp`);
}

export async function hasThumb(thumbDir: string, sha256: string): Promise<boolean> {
  try {
    return (await stat(thumbPath(thumbDir, sha256))).isFile();
  } catch {
    return false;
  }
}

const madeShards = new Set<string>();

/** Writes atomically (temp file in the same folder, then rename). A concurrent writer of the same hash is harmless. */
export async function writeThumb(thumbDir: string, sha256: string, webp: Buffer): Promise<string> {
  const target = thumbPath(thumbDir, sha256);
  const shard = join(thumbDir, sha256.slice(0, 2));
  // At most 256 shards per cache folder: remembering them saves a syscall per thumbnail.
  if (!madeShards.has(shard)) {
    await mkdir(shard, { recursive: true });
    madeShards.add(shard);
  }
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    try {
      await writeFile(temp, webp, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(shard, { recursive: true }); // the cache was removed since we remembered the shard
      await writeFile(temp, webp, { flag: 'wx' });
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return target;
}
