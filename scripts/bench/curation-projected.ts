// `npm run bench:curation -- --only dups-space`: the duplicate search's neighbour graph over full 960-d rows
// against the same rows projected on their strongest principal directions (subspace.ts), at N vectors (default
// 100,000) with 1,000 planted near copies. For each space: graph build, all-neighbours search, pairs proposed,
// planted copies proposed (before the exact re-score, which only removes pairs). A projection never lengthens a
// difference, so in the l2 space a pair at full cosine c is within 2(1 - c) there: the radius is a safe filter.
import { principalBasis, project } from '../../src/engine/curation/subspace.js';
import { UsearchIndex, type GraphOptions } from '../../src/engine/curation/neighbour-index.js';
import type { Matrix } from '../../src/engine/curation/vectors.js';
import { normaliseRows } from '../../src/engine/curation/vectors.js';

export interface SpaceCase {
  label: string;
  dims: number;
  metric: 'cos' | 'l2sq';
  graph: Omit<GraphOptions, 'onProgress'>;
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

/** Pairs each row's k graph neighbours propose within the threshold (cosine floor or squared-distance radius). */
function proposed(index: UsearchIndex, space: Matrix, k: number, keep: (similarity: number) => boolean): Set<string> {
  const out = new Set<string>();
  const lists = index.searchAll(k, space);
  lists.forEach((list, a) => {
    for (const nb of list) if (keep(nb.similarity)) out.add(`${Math.min(a, nb.row)}:${Math.max(a, nb.row)}`);
  });
  return out;
}

export function benchSpace(m: Matrix, copies: number, minCosine: number, c: SpaceCase, k = 8): string {
  const t0 = performance.now();
  let space = m;
  if (c.dims < m.cols) {
    const p = project(m, principalBasis(m, c.dims, { seed: 3 }));
    space = c.metric === 'cos' ? normaliseRows(p) : p;
  }
  const tProject = seconds(t0);
  const t1 = performance.now();
  const index = new UsearchIndex(space.cols, { ...c.graph, metric: c.metric });
  index.add(space);
  const tBuild = seconds(t1);
  const t2 = performance.now();
  // usearch reports 1 - distance; for l2sq that is 1 - squared distance.
  const keep =
    c.metric === 'cos' ? (s: number) => s >= minCosine - 0.02 : (s: number) => 1 - s <= 2 * (1 - minCosine) + 0.01;
  const pairs = proposed(index, space, k, keep);
  const tSearch = seconds(t2);
  let hit = 0;
  for (let i = 0; i < copies; i++) if (pairs.has(`${i}:${m.rows - copies + i}`)) hit++;
  return (
    `| ${c.label} | ${tProject.toFixed(1)} | ${tBuild.toFixed(1)} | ${tSearch.toFixed(1)} | ${pairs.size} | ` +
    `${hit} / ${copies} |`
  );
}
