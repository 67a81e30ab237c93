// The map's coordinates on screen: the layout's bounding box fitted into the canvas, then the user's zoom and
// pan. Kept as plain typed arrays so 100,000 points are projected in well under a millisecond per frame.

export interface Bounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** The user's zoom (scale) and pan (dx, dy, in CSS pixels), applied after the fit. */
export interface Viewport {
  scale: number;
  dx: number;
  dy: number;
}

export const HOME: Viewport = { scale: 1, dx: 0, dy: 0 };
const PAD = 10;
export const MIN_SCALE = 0.2;
export const MAX_SCALE = 2000;

export function boundsOf(xs: Float32Array, ys: Float32Array): Bounds {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return xs.length ? { x0, x1, y0, y1 } : { x0: 0, x1: 1, y0: 0, y1: 1 };
}

/** Map units to CSS pixels at zoom 1, keeping the aspect ratio (a UMAP's distances mean the same both ways). */
function fitScale(b: Bounds, width: number, height: number): number {
  return Math.min((width - 2 * PAD) / Math.max(1e-9, b.x1 - b.x0), (height - 2 * PAD) / Math.max(1e-9, b.y1 - b.y0));
}

export class MapProjection {
  private readonly s: number;
  /** Where the box's corner (x0, y0) lands at zoom 1: the fitted box is centred in the canvas. */
  private readonly left: number;
  private readonly top: number;

  constructor(
    readonly bounds: Bounds,
    readonly width: number,
    readonly height: number,
  ) {
    this.s = fitScale(bounds, width, height);
    this.left = (width - (bounds.x1 - bounds.x0) * this.s) / 2;
    this.top = (height - (bounds.y1 - bounds.y0) * this.s) / 2;
  }

  /** Every point's screen position, written into `sx`/`sy` (reused between frames). */
  project(view: Viewport, xs: Float32Array, ys: Float32Array, sx: Float32Array, sy: Float32Array): void {
    const k = this.s * view.scale;
    const ox = this.left * view.scale + view.dx - this.bounds.x0 * k;
    const oy = this.top * view.scale + view.dy - this.bounds.y0 * k;
    for (let i = 0; i < xs.length; i++) {
      sx[i] = xs[i]! * k + ox;
      sy[i] = ys[i]! * k + oy;
    }
  }

  toScreen(view: Viewport, x: number, y: number): [number, number] {
    return [
      (this.left + (x - this.bounds.x0) * this.s) * view.scale + view.dx,
      (this.top + (y - this.bounds.y0) * this.s) * view.scale + view.dy,
    ];
  }

  /** The inverse of toScreen: a lasso drawn on screen is sent to the services in the map's own coordinates. */
  toMap(view: Viewport, px: number, py: number): [number, number] {
    return [
      ((px - view.dx) / view.scale - this.left) / this.s + this.bounds.x0,
      ((py - view.dy) / view.scale - this.top) / this.s + this.bounds.y0,
    ];
  }
}

/** Zoom by `factor` about the screen point (px, py): the point under the cursor stays under it. */
export function zoomAt(view: Viewport, factor: number, px: number, py: number): Viewport {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const f = scale / view.scale;
  return { scale, dx: px - (px - view.dx) * f, dy: py - (py - view.dy) * f };
}

export function panBy(view: Viewport, ddx: number, ddy: number): Viewport {
  return { ...view, dx: view.dx + ddx, dy: view.dy + ddy };
}
