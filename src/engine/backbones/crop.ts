// Crops of an image as the extraction requests them: relative boxes, checked and turned into pixels. Kept apart
// from preprocess.ts so that checking a request does not load sharp.
import { AppError } from '../../shared/errors.js';

/** A region of the EXIF-oriented image, relative to its width and height (values in [0, 1]). */
export interface RelativeCrop {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Every value a finite number in [0, 1], and a non-empty box. */
export function isRelativeCrop(crop: RelativeCrop): boolean {
  const vals = [crop.x, crop.y, crop.w, crop.h];
  return vals.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1) && crop.w > 0 && crop.h > 0;
}

/** The crop in whole pixels of a width×height image: at least 1×1 and always inside the image. */
export function cropPixels(
  crop: RelativeCrop,
  width: number,
  height: number,
): { left: number; top: number; width: number; height: number } {
  if (!isRelativeCrop(crop)) {
    throw new AppError('invalid-argument', `crop ${JSON.stringify(crop)} must lie in [0, 1] with w, h > 0`);
  }
  const left = Math.min(width - 1, Math.round(crop.x * width));
  const top = Math.min(height - 1, Math.round(crop.y * height));
  return {
    left,
    top,
    width: Math.max(1, Math.min(width - left, Math.round(crop.w * width))),
    height: Math.max(1, Math.min(height - top, Math.round(crop.h * height))),
  };
}
