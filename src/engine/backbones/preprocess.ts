// Image file -> backbone input, as the PreprocessSpec declares. sharp does the decoding and resizing in
// libvips (off the JS thread); the JS side only turns uint8 into normalised float32 in one loop.
import sharp, { type Sharp } from 'sharp';
import { AppError } from '../../shared/errors.js';
import type { PreprocessSpec } from '../types.js';
import { cropPixels, type RelativeCrop } from './crop.js';

const FIT = { squash: 'fill', crop: 'cover', pad: 'contain' } as const;

/** Decoded, oriented, flattened sRGB pipeline of a file: what every path below starts from. */
function oriented(path: string): Sharp {
  return (
    sharp(path, { pages: 1, failOn: 'none' })
      .rotate() // EXIF orientation
      // Transparent pixels become white (as an image viewer shows them) rather than whatever colour
      // the encoder left under alpha 0, which removeAlpha() would expose.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
  );
}

/** The crop's pixels as a pipeline. Two passes: sharp would cut a pre-resize extract before applying EXIF
 * orientation, and the crop is defined on the oriented image. */
async function croppedSource(path: string, crop: RelativeCrop): Promise<Sharp> {
  const { data, info } = await oriented(path).raw().toBuffer({ resolveWithObject: true });
  const box = cropPixels(crop, info.width, info.height);
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).extract(box);
}

/** Decoded, resized RGB bytes: size * size * 3. With `crop`, only that region of the oriented image, rescaled to
 * the backbone's input (so a crop is also a zoom). */
export async function decodeRgb(path: string, spec: PreprocessSpec, crop?: RelativeCrop): Promise<Buffer> {
  try {
    const source = crop ? await croppedSource(path, crop) : oriented(path);
    const { data, info } = await source
      .resize(spec.size, spec.size, { fit: FIT[spec.fit], position: 'centre', background: '#000000' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== spec.size || info.height !== spec.size) {
      throw new Error(`decoded ${info.width}x${info.height}x${info.channels}, expected ${spec.size}x${spec.size}x3`);
    }
    return data;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('io-error', `cannot decode ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Normalises RGB bytes into `out` at `offset`: pixel' = (pixel / 255 - mean) / std per channel. */
export function normaliseInto(rgb: Uint8Array, spec: PreprocessSpec, out: Float32Array, offset = 0): void {
  const pixels = spec.size * spec.size;
  if (rgb.length !== pixels * 3) throw new AppError('invalid-argument', 'RGB buffer does not match the spec size');
  if (offset < 0 || offset + pixels * 3 > out.length) throw new AppError('invalid-argument', 'output too small');
  const [m0, m1, m2] = spec.mean;
  const s0 = 1 / (255 * spec.std[0]);
  const s1 = 1 / (255 * spec.std[1]);
  const s2 = 1 / (255 * spec.std[2]);
  const b0 = m0 / spec.std[0];
  const b1 = m1 / spec.std[1];
  const b2 = m2 / spec.std[2];
  for (let i = 0, o = offset; i < rgb.length; i += 3, o += 3) {
    out[o] = (rgb[i] as number) * s0 - b0;
    out[o + 1] = (rgb[i + 1] as number) * s1 - b1;
    out[o + 2] = (rgb[i + 2] as number) * s2 - b2;
  }
}

/** One image as the backbone's input: size * size * 3 float32, row-major HWC. */
export async function decodeForBackbone(
  path: string,
  spec: PreprocessSpec,
  crop?: RelativeCrop,
): Promise<Float32Array> {
  const out = new Float32Array(spec.size * spec.size * 3);
  normaliseInto(await decodeRgb(path, spec, crop), spec, out);
  return out;
}

/** A batch decoded straight into one typed array (no per-image copies, no tensor slicing later), with up to
 * `concurrency` decodes in flight. Returns the batch as [paths.length, size, size, 3]. */
export async function decodeBatchForBackbone(
  paths: readonly string[],
  spec: PreprocessSpec,
  concurrency = 4,
): Promise<Float32Array> {
  const stride = spec.size * spec.size * 3;
  const out = new Float32Array(paths.length * stride);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < paths.length; i = next++) {
      normaliseInto(await decodeRgb(paths[i] as string, spec), spec, out, i * stride);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, paths.length)) }, worker));
  return out;
}
