// Point-in-polygon for the map's lasso (even-odd rule): pure, so it is tested without a canvas.

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

/** Indices of the points inside the polygon; none for a polygon of fewer than three corners. */
export function lassoSelect(points: readonly Point[], polygon: readonly Point[]): number[] {
  if (polygon.length < 3) return [];
  const out: number[] = [];
  points.forEach((p, i) => {
    if (insidePolygon(p, polygon)) out.push(i);
  });
  return out;
}
