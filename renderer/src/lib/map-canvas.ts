// The map's canvas: points, zoom and pan, the lasso and the hovered point, drawn once per animation frame at
// most (a burst of pointer moves costs one frame). Plain TypeScript over typed arrays; the view owns the DOM events.
import type { MapPointInfo } from '../../../src/shared/curation-dto.js';
import { lassoSelect, type Point } from './lasso.js';
import type { Colouring } from './map-colour.js';
import { drawMarks, drawPoints, nearestPoint, packRgb } from './map-render.js';
import { boundsOf, HOME, MapProjection, panBy, zoomAt, type Viewport } from './map-viewport.js';

const HOVER_RADIUS = 6;

export class MapCanvas {
  view: Viewport = HOME;
  /** Indices (into the points) of the current lasso selection. */
  selected: number[] = [];
  hovered = -1;
  /** Frames drawn so far: the frame-rate probe reads it from the canvas's data-frames. */
  frames = 0;
  private xs = new Float32Array(0);
  private ys = new Float32Array(0);
  private sx = new Float32Array(0);
  private sy = new Float32Array(0);
  private mapPoints: Point[] = [];
  private colouring: Colouring | null = null;
  private projection = new MapProjection(boundsOf(this.xs, this.ys), 1, 1);
  private size = { width: 1, height: 1, ratio: 1 };
  private image: ImageData | null = null;
  private lasso: Point[] = [];
  private pending = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  setPoints(points: readonly MapPointInfo[]): void {
    this.xs = Float32Array.from(points, (p) => p.x);
    this.ys = Float32Array.from(points, (p) => p.y);
    this.sx = new Float32Array(points.length);
    this.sy = new Float32Array(points.length);
    this.mapPoints = points.map((p) => ({ x: p.x, y: p.y }));
    this.selected = [];
    this.hovered = -1;
    this.view = HOME;
    this.refit();
  }

  setColouring(colouring: Colouring): void {
    this.colouring = colouring;
    this.request();
  }

  /** The canvas's CSS size and the device pixel ratio: the backing store follows both. */
  resize(width: number, height: number, ratio: number): void {
    const w = Math.max(1, Math.round(width));
    const h = Math.max(1, Math.round(height));
    if (w === this.size.width && h === this.size.height && ratio === this.size.ratio) return;
    this.size = { width: w, height: h, ratio };
    this.canvas.width = Math.round(w * ratio);
    this.canvas.height = Math.round(h * ratio);
    this.image = null;
    this.refit();
  }

  private refit(): void {
    this.projection = new MapProjection(boundsOf(this.xs, this.ys), this.size.width, this.size.height);
    this.request();
  }

  pan(ddx: number, ddy: number): void {
    this.view = panBy(this.view, ddx, ddy);
    this.request();
  }

  zoom(factor: number, px: number, py: number): void {
    this.view = zoomAt(this.view, factor, px, py);
    this.request();
  }

  reset(): void {
    this.view = HOME;
    this.request();
  }

  /** The point under (px, py) in CSS pixels, or -1; redraws only when it changes. */
  hover(px: number, py: number): number {
    const i = nearestPoint(this.sx, this.sy, px, py, HOVER_RADIUS);
    if (i !== this.hovered) {
      this.hovered = i;
      this.request();
    }
    return i;
  }

  screenOf(i: number): Point {
    return { x: this.sx[i] ?? 0, y: this.sy[i] ?? 0 };
  }

  startLasso(p: Point): void {
    this.lasso = [p];
  }

  extendLasso(p: Point): void {
    const last = this.lasso.at(-1);
    if (last && Math.hypot(p.x - last.x, p.y - last.y) < 2) return;
    this.lasso.push(p);
    this.request();
  }

  get lassoing(): boolean {
    return this.lasso.length > 0;
  }

  /** Ends the lasso: the points inside (the same test the services run) and the polygon in map coordinates.
   * A lasso of fewer than three corners (a click) clears the selection. */
  finishLasso(): [number, number][] | null {
    const screen = this.lasso;
    this.lasso = [];
    const polygon = screen.map((q) => this.projection.toMap(this.view, q.x, q.y));
    this.selected =
      polygon.length < 3
        ? []
        : lassoSelect(
            this.mapPoints,
            polygon.map(([x, y]) => ({ x, y })),
          );
    this.request();
    return polygon.length < 3 ? null : polygon;
  }

  clearSelection(): void {
    this.selected = [];
    this.request();
  }

  request(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  dispose(): void {
    if (this.pending) cancelAnimationFrame(this.pending);
    this.pending = 0;
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { ratio } = this.size;
    const [w, h] = [this.canvas.width, this.canvas.height];
    this.projection.project(this.view, this.xs, this.ys, this.sx, this.sy);
    this.image ??= ctx.createImageData(w, h);
    const buf = new Uint32Array(this.image.data.buffer);
    const dot = Math.max(2, Math.round(Math.min(8, 2.5 + Math.log2(Math.max(1, this.view.scale))) * ratio));
    if (this.colouring) {
      const layer = { sx: this.sx, sy: this.sy, colours: this.colouring.colours, order: this.colouring.order };
      drawPoints(buf, w, h, layer, dot, ratio);
    } else buf.fill(0);
    const ink = packRgb(inkOf(this.canvas));
    drawMarks(buf, w, h, { sx: this.sx, sy: this.sy }, this.selected, ink, Math.max(2, dot - 1), ratio);
    ctx.putImageData(this.image, 0, 0);
    this.drawOverlay(ctx, ratio);
    this.frames++;
    this.canvas.dataset.frames = String(this.frames);
  }

  /** The lasso's outline and the hovered point's ring, as vector strokes over the pixels. */
  private drawOverlay(ctx: CanvasRenderingContext2D, ratio: number): void {
    ctx.save();
    ctx.scale(ratio, ratio);
    ctx.strokeStyle = getComputedStyle(this.canvas).color;
    ctx.lineWidth = 1.5;
    if (this.lasso.length > 1) {
      ctx.beginPath();
      ctx.moveTo(this.lasso[0]!.x, this.lasso[0]!.y);
      for (const q of this.lasso) ctx.lineTo(q.x, q.y);
      ctx.closePath();
      ctx.setLineDash([4, 3]);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.hovered >= 0) {
      ctx.beginPath();
      ctx.arc(this.sx[this.hovered]!, this.sy[this.hovered]!, 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
  }
}

/** The canvas's text colour as #rrggbb, so selection marks follow the theme. */
function inkOf(canvas: HTMLCanvasElement): string {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(getComputedStyle(canvas).color);
  if (!m) return '#000000';
  return `#${[m[1], m[2], m[3]].map((v) => Number(v).toString(16).padStart(2, '0')).join('')}`;
}
