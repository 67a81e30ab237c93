// Multi-scale random crops of the cached block-12 maps: a window of the map resized back to the map's size, so
// the top's positions see parts of objects and more of their context than the whole centred image gives. The
// crop is of the cached map, not of the image: no image is decoded again (an approximation of an image crop,
// since block-12 positions already see a neighbourhood; see docs/ssod.md).
import * as tf from '@tensorflow/tfjs';

/** [y1, x1, y2, x2] relative to the map, or null for the whole map. */
export type View = [number, number, number, number] | null;

/** One view per item for this epoch: a crop with probability `share`, side scale in [minScale, 1]. */
export function drawViews(count: number, share: number, minScale: number, rng: () => number): View[] {
  const views: View[] = [];
  for (let i = 0; i < count; i++) {
    if (!(rng() < share)) {
      views.push(null);
      continue;
    }
    const s = minScale + (1 - minScale) * rng();
    const y = (1 - s) * rng();
    const x = (1 - s) * rng();
    views.push([y, x, y + s, x + s]);
  }
  return views;
}

/** The batch's maps [n, h, w, c] as a tensor, each cropped to its view and resized back (bilinear). */
export function viewTensor(maps: Float32Array, n: number, shape: [number, number, number], views: View[]): tf.Tensor4D {
  const [h, w, c] = shape;
  const x = tf.tensor4d(maps, [n, h, w, c]);
  if (views.every((v) => v === null)) return x;
  const out = tf.tidy(() => {
    const boxes = tf.tensor2d(
      views.flatMap((v) => v ?? [0, 0, 1, 1]),
      [n, 4],
    );
    const index = tf.tensor1d(
      views.map((_, i) => i),
      'int32',
    );
    return tf.image.cropAndResize(x, boxes, index, [h, w], 'bilinear');
  });
  x.dispose();
  return out;
}
