// Point-in-polygon for the map's lasso (even-odd rule). Shared so the renderer's count of a lasso and the
// services' selection from it (curation.select) agree on every point.

export interface Point {
  x: number;
  y: number;
}

export function insidePolygon(p: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/** Indices of the points inside the polygon; none for a polygon of fewer than three corners. Points outside
 * the polygon's bounding box are rejected before the edge walk, so a small lasso over 100,000 points is cheap. */
export function lassoSelect(points: readonly Point[], polygon: readonly Point[]): number[] {
  if (polygon.length < 3) return [];
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const q of polygon) {
    x0 = Math.min(x0, q.x);
    x1 = Math.max(x1, q.x);
    y0 = Math.min(y0, q.y);
    y1 = Math.max(y1, q.y);
  }
  const out: number[] = [];
  points.forEach((p, i) => {
    if (p.x < x0 || p.x > x1 || p.y < y0 || p.y > y1) return;
    if (insidePolygon(p, polygon)) out.push(i);
  });
  return out;
}
