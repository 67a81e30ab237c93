// Reads one regular file safely and decides whether it is a usable image, by content:
// sniff the first bytes (refuse untrusted loaders), read + sha256 in one pass, header-only metadata with a
// size check (decompression bombs), then ONE full decode that also produces the thumbnail.
import { open, constants } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { ScanFailure, fsFailure } from './failure.js';
import { sniff, hasEndMarker, SNIFF_BYTES } from './sniff.js';
import type { AcceptedFormat } from './sniff.js';
import { THUMB_SIZE, hasThumb, writeThumb } from './thumbnails.js';

export interface ProbeLimits {
  /** Refuse images with more pixels than this (header check, before decoding). */
  maxPixels: number;
  /** Refuse images with a side longer than this. */
  maxSide: number;
  /** Refuse files bigger than this without reading them (they are held in memory while decoded). */
  maxBytes: number;
}

export const DEFAULT_LIMITS: ProbeLimits = { maxPixels: 50_000_000, maxSide: 30_000, maxBytes: 512 * 1024 * 1024 };

export interface ProbeResult {
  size: number;
  mtimeMs: number;
  sha256: string;
  /** Displayed size, i.e. after EXIF orientation. */
  width: number;
  height: number;
  /** sharp's name: jpeg, png, webp, gif, tiff, heif (AVIF only). */
  format: string;
  /** False when a thumbnail for this content already existed, so no decode was needed. */
  decoded: boolean;
}

export interface ProbeOptions {
  thumbDir: string;
  limits?: ProbeLimits;
  /** Called once per full decode (the test hook for "a rescan opens only changed files"). */
  onDecode?: () => void;
  /**
   * Decodes in progress by sha256, shared across one scan's parallel probes: identical files (copies) probed at
   * the same time then decode once and share the outcome.
   */
  decoding?: Map<string, Promise<ScanFailure | null>>;
}

// failOn: 'error' (sharp's default is 'warning'). 'warning' rejects many real camera/phone JPEGs that decode
// fine but carry a libjpeg warning (extraneous bytes before a marker, a recoverable bad Huffman code); 'truncated'
// would let hard decode errors through. 'error' rejects truncation and real errors, tolerates recoverable noise.
const FAIL_ON = 'error' as const;

const MAX_READ_ATTEMPTS = 3;
const READ_CHUNK = 1 << 20;

let hardened = false;
/**
 * Blocks libvips loaders we never want to run on user files, process-wide (sharp has no per-call switch): SVG can
 * reference external resources and runs librsvg, PDF/ImageMagick/OpenSlide/FITS/vips are large attack surfaces.
 * Our sniffing refuses them first; this is the second lock.
 */
export function hardenSharp(): void {
  if (hardened) return;
  hardened = true;
  // One libvips thread per image: a scan decodes many small images at once (one per probe in flight), which uses
  // the cores better than splitting each image across threads. (sharp already defaults to 1 on glibc Linux.)
  sharp.concurrency(1);
  // No operation cache: a scan never repeats an operation on the same input, so libvips' cache (up to 50 MiB and
  // 100 operations by default) would only hold memory that grows with the images' sizes.
  sharp.cache(false);
  sharp.block({
    operation: [
      'VipsForeignLoadSvg',
      'VipsForeignLoadPdf',
      'VipsForeignLoadMagick',
      'VipsForeignLoadOpenslide',
      'VipsForeignLoadFits',
      'VipsForeignLoadVips',
      'VipsForeignLoadMatrix',
      'VipsForeignLoadCsv',
      'VipsForeignLoadAnalyze',
      'VipsForeignLoadRad',
      'VipsForeignLoadPpm',
    ],
  });
}

/** Probe a regular file. Throws ScanFailure (expected, has a code) or a plain Error (a bug). */
export async function probeFile(openPath: string, options: ProbeOptions): Promise<ProbeResult> {
  hardenSharp();
  const limits = options.limits ?? DEFAULT_LIMITS;
  const { data, size, mtimeMs, sha256, format } = await readStable(openPath, limits);

  let meta: Metadata;
  try {
    meta = await sharp(data, { failOn: FAIL_ON, limitInputPixels: limits.maxPixels }).metadata();
  } catch (error) {
    throw decodeFailure(format, data, error, 'cannot read the image header');
  }
  if (meta.format === 'heif' && meta.compression !== 'av1')
    throw new ScanFailure(
      'unsupported-format',
      `HEIF with ${meta.compression ?? 'unknown'} compression is not supported`,
    );
  if (meta.format === 'svg' || !['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif'].includes(meta.format ?? ''))
    throw new ScanFailure('unsupported-format', `format ${meta.format ?? 'unknown'} is not supported`);

  const rawWidth = meta.width ?? 0;
  const rawHeight = meta.pageHeight ?? meta.height ?? 0;
  if (rawWidth <= 0 || rawHeight <= 0) throw new ScanFailure('not-an-image', 'the image header has no size');
  if (rawWidth > limits.maxSide || rawHeight > limits.maxSide || rawWidth * rawHeight > limits.maxPixels)
    throw new ScanFailure(
      'too-large',
      `${rawWidth}×${rawHeight} exceeds the limit (${limits.maxSide} px a side, ${limits.maxPixels / 1e6} megapixels)`,
    );
  const swap = (meta.orientation ?? 1) >= 5;
  const result: ProbeResult = {
    size,
    mtimeMs,
    sha256,
    width: swap ? rawHeight : rawWidth,
    height: swap ? rawWidth : rawHeight,
    format: meta.format ?? format,
    decoded: false,
  };

  // A thumbnail is only ever written after a successful full decode, so identical content is already proven.
  const pending = options.decoding?.get(sha256);
  if (pending) {
    const failure = await pending;
    if (failure) throw failure;
    return result;
  }
  if (await hasThumb(options.thumbDir, sha256)) return result;
  const decode = decodeToThumb(data, format, sha256, options, limits);
  options.decoding?.set(sha256, decode);
  try {
    const failure = await decode;
    if (failure) throw failure;
  } finally {
    options.decoding?.delete(sha256);
  }
  result.decoded = true;
  return result;
}

/** The one full decode: first frame/page, EXIF-rotated, into the WebP thumbnail. Resolves to a failure or null. */
async function decodeToThumb(
  data: Buffer,
  format: AcceptedFormat,
  sha256: string,
  options: ProbeOptions,
  limits: ProbeLimits,
): Promise<ScanFailure | null> {
  let webp: Buffer;
  try {
    options.onDecode?.();
    // sharp's default pages: 1 takes the first frame; shrink-on-load still reads all compressed data, so this
    // decode is what catches truncation.
    webp = await sharp(data, { failOn: FAIL_ON, limitInputPixels: limits.maxPixels })
      .autoOrient()
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75, effort: 0 }) // effort 0: ~2 ms less per file, no visible loss at 256 px
      .toBuffer();
  } catch (error) {
    return decodeFailure(format, data, error, 'cannot decode the image');
  }
  await writeThumb(options.thumbDir, sha256, webp);
  return null;
}

function decodeFailure(format: AcceptedFormat, data: Buffer, error: unknown, what: string): ScanFailure {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  if (/pixel limit|too large|exceeds/i.test(message)) return new ScanFailure('too-large', `${what}: ${message}`);
  if (/premature end|truncat|unexpected end|end of file|not enough data/i.test(message) || !hasEndMarker(format, data))
    return new ScanFailure('truncated', `${what}: the file ends early (${message})`);
  return new ScanFailure('not-an-image', `${what}: corrupt ${format} data (${message})`);
}

interface StableRead {
  data: Buffer;
  size: number;
  mtimeMs: number;
  sha256: string;
  format: AcceptedFormat;
}

/** Reads the whole file and hashes it in the same pass; re-reads if it changes underneath, then gives up. */
async function readStable(openPath: string, limits: ProbeLimits): Promise<StableRead> {
  for (let attempt = 1; ; attempt += 1) {
    const read = await readOnce(openPath, limits);
    if (read !== 'changed') return read;
    if (attempt >= MAX_READ_ATTEMPTS)
      throw new ScanFailure('vanished', `the file kept changing while it was read (${MAX_READ_ATTEMPTS} attempts)`);
  }
}

async function readOnce(openPath: string, limits: ProbeLimits): Promise<StableRead | 'changed'> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: if the path was swapped for a FIFO since the walk, open must not hang.
    // O_NOFOLLOW: nor may it have been swapped for a symlink (openPath is always a real path).
    fh = await open(openPath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    throw fsFailure(error, 'cannot open');
  }
  try {
    const before = await fh.stat();
    if (!before.isFile()) throw new ScanFailure('vanished', 'the file was replaced by something that is not a file');
    if (before.size === 0) throw new ScanFailure('zero-byte', 'the file is empty');

    // The first chunk doubles as the sniffing head: no extra read for the common small file. Files over the byte
    // limit get a small head buffer only, so a huge video never becomes a huge allocation.
    const oversized = before.size > limits.maxBytes;
    const data = Buffer.allocUnsafe(oversized ? SNIFF_BYTES : before.size);
    let offset = await readAt(fh, data.subarray(0, Math.min(data.length, READ_CHUNK)), 0);
    const sniffed = sniff(data.subarray(0, Math.min(offset, SNIFF_BYTES)));
    if (sniffed.kind === 'refused')
      throw new ScanFailure('unsupported-format', `${sniffed.format} files are not supported`);
    if (sniffed.kind === 'unknown') throw new ScanFailure('not-an-image', 'the content is not a supported image');
    if (oversized)
      throw new ScanFailure('too-large', `${before.size} bytes exceeds the ${limits.maxBytes}-byte file limit`);
    const hash = createHash('sha256');
    hash.update(data.subarray(0, offset));
    while (offset < before.size) {
      const n = await readAt(fh, data.subarray(offset, Math.min(before.size, offset + READ_CHUNK)), offset);
      if (n === 0) return 'changed'; // shrank
      hash.update(data.subarray(offset, offset + n));
      offset += n;
    }
    // Grown or rewritten while we read: size or mtime moved (an append always changes both).
    const after = await fh.stat();
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) return 'changed';
    return { data, size: before.size, mtimeMs: before.mtimeMs, sha256: hash.digest('hex'), format: sniffed.format };
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, into: Buffer, position: number): Promise<number> {
  try {
    return (await fh.read(into, 0, into.length, position)).bytesRead;
  } catch (error) {
    throw fsFailure(error, 'cannot read');
  }
}
