// Window math for the review grid: which rows are on screen, so only those reach the DOM. Tiles have a fixed
// size, so the layout of 100,000 images is pure arithmetic and never shifts while thumbnails load.

export interface GridMetrics {
  /** Width available for tiles, in px. */
  width: number;
  tileWidth: number;
  tileHeight: number;
  gap: number;
}

export interface GridWindow {
  columns: number;
  rowHeight: number;
  totalRows: number;
  totalHeight: number;
  firstRow: number;
  /** Exclusive. */
  endRow: number;
  /** First and one-past-last item index to render. */
  start: number;
  end: number;
  /** Y offset of firstRow. */
  offsetY: number;
}

export function columnsFor(m: GridMetrics): number {
  return Math.max(1, Math.floor((m.width + m.gap) / (m.tileWidth + m.gap)));
}

export function rowHeightOf(m: GridMetrics): number {
  return m.tileHeight + m.gap;
}

/** Rows intersecting [scrollTop, scrollTop + viewport), plus `overscan` rows each side. */
export function gridWindow(
  m: GridMetrics,
  total: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = 2,
): GridWindow {
  const columns = columnsFor(m);
  const rowHeight = rowHeightOf(m);
  const totalRows = Math.ceil(Math.max(0, total) / columns);
  const totalHeight = totalRows * rowHeight;
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, totalHeight - viewportHeight)));
  const firstVisible = Math.floor(top / rowHeight);
  const lastVisible = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight);
  const firstRow = Math.max(0, firstVisible - overscan);
  const endRow = Math.min(totalRows, lastVisible + overscan);
  return {
    columns,
    rowHeight,
    totalRows,
    totalHeight,
    firstRow,
    endRow,
    start: Math.min(total, firstRow * columns),
    end: Math.min(total, endRow * columns),
    offsetY: firstRow * rowHeight,
  };
}

/** The scrollTop that brings item `index` fully into view, or null if it already is. */
export function scrollToReveal(
  index: number,
  columns: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
): number | null {
  const row = Math.floor(index / Math.max(1, columns));
  const top = row * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}

/** Page numbers (of `pageSize` items) covering items [start, end). */
export function pagesCovering(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const pages: number[] = [];
  for (let p = first; p <= last; p++) pages.push(p);
  return pages;
}

/** Where the cursor lands after moving by a grid step, clamped to [0, total). */
export function moveIndex(
  index: number,
  direction: 'left' | 'right' | 'up' | 'down' | 'page-up' | 'page-down' | 'home' | 'end',
  columns: number,
  total: number,
  rowsPerPage = 1,
): number {
  if (total <= 0) return 0;
  const steps: Record<typeof direction, number> = {
    left: -1,
    right: 1,
    up: -columns,
    down: columns,
    'page-up': -columns * Math.max(1, rowsPerPage),
    'page-down': columns * Math.max(1, rowsPerPage),
    home: -Infinity,
    end: Infinity,
  };
  const next = index + steps[direction];
  if (next === -Infinity) return 0;
  if (next === Infinity) return total - 1;
  return Math.max(0, Math.min(total - 1, next));
}
