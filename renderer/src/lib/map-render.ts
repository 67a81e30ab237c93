// Drawing the map's points straight into an ImageData buffer: one 32-bit write per pixel instead of one canvas
// call per point, which is what keeps 100,000 points at full frame rate on a software-rendered canvas.

/** A CSS hex colour (#rrggbb) as the 32-bit pixel ImageData's Uint32Array view holds on a little-endian host. */
export function packRgb(hex: string, alpha = 255): number {
  const v = Number.parseInt(hex.slice(1, 7), 16);
  const [r, g, b] = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  return ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

export interface PointLayer {
  sx: Float32Array;
  sy: Float32Array;
  /** Packed colour per point (packRgb). */
  colours: Uint32Array;
  /** Drawing order (last on top); null: index order. */
  order: Int32Array | null;
}

/** Squares of `size` device pixels at each point (`ratio` = device pixels per CSS pixel). Points whose square
 * lies wholly inside take a fast path of plain stores (no clipping, no call per row); the rest are clipped. */
export function drawPoints(
  buf: Uint32Array,
  width: number,
  height: number,
  layer: PointLayer,
  size: number,
  ratio: number,
): void {
  buf.fill(0);
  const { sx, sy, colours, order } = layer;
  const n = sx.length;
  const half = size >> 1;
  const [maxX, maxY] = [width - size, height - size];
  for (let k = 0; k < n; k++) {
    const i = order ? order[k]! : k;
    const cx = ((sx[i]! * ratio + 0.5) | 0) - half;
    const cy = ((sy[i]! * ratio + 0.5) | 0) - half;
    if (cx >= 0 && cy >= 0 && cx <= maxX && cy <= maxY) {
      const colour = colours[i]!;
      for (let row = 0, o = cy * width + cx; row < size; row++, o += width) {
        for (let d = 0; d < size; d++) buf[o + d] = colour;
      }
    } else if (cx + size > 0 && cy + size > 0 && cx < width && cy < height) {
      drawClipped(buf, width, height, cx, cy, size, colours[i]!);
    }
  }
}

function drawClipped(
  buf: Uint32Array,
  width: number,
  height: number,
  cx: number,
  cy: number,
  size: number,
  colour: number,
): void {
  const [xa, xb] = [Math.max(0, cx), Math.min(width, cx + size)];
  for (let y = Math.max(0, cy), yb = Math.min(height, cy + size); y < yb; y++) {
    for (let x = xa; x < xb; x++) buf[y * width + x] = colour;
  }
}

/** Marks chosen points with a ring of `colour` so a selection stays visible whatever the colouring. */
export function drawMarks(
  buf: Uint32Array,
  width: number,
  height: number,
  layer: Pick<PointLayer, 'sx' | 'sy'>,
  chosen: readonly number[],
  colour: number,
  size: number,
  ratio: number,
): void {
  const r = size;
  for (const i of chosen) {
    const cx = Math.round(layer.sx[i]! * ratio);
    const cy = Math.round(layer.sy[i]! * ratio);
    for (let d = -r; d <= r; d++) {
      put(buf, width, height, cx + d, cy - r, colour);
      put(buf, width, height, cx + d, cy + r, colour);
      put(buf, width, height, cx - r, cy + d, colour);
      put(buf, width, height, cx + r, cy + d, colour);
    }
  }
}

function put(buf: Uint32Array, width: number, height: number, x: number, y: number, colour: number): void {
  if (x >= 0 && y >= 0 && x < width && y < height) buf[y * width + x] = colour;
}

/** The point nearest to (px, py) within `maxDistance` (CSS pixels), or -1. */
export function nearestPoint(sx: Float32Array, sy: Float32Array, px: number, py: number, maxDistance: number): number {
  let best = -1;
  let bestD = maxDistance * maxDistance;
  for (let i = 0; i < sx.length; i++) {
    const dx = sx[i]! - px;
    const dy = sy[i]! - py;
    const d = dx * dx + dy * dy;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}
