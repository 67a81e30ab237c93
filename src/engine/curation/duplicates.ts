// Duplicate groups: exact copies share a content hash; near copies (resized, recompressed, slightly cropped or
// colour-shifted) are candidate pairs by cosine similarity of pooled features, confirmed by a perceptual hash,
// then joined transitively. Each group names the copy to keep and why, and what kind of problem it is.
import { hashDistance, type ImageHashes } from './perceptual-hash.js';
import { allNeighbours, type GraphOptions, type Neighbour } from './neighbour-index.js';
import { dot, type Matrix } from './vectors.js';

export interface DuplicateItem {
  /** The caller's id (an image id); groups refer to items by index into the input array. */
  id: number;
  sha256: string | null;
  className: string | null;
  role: 'train' | 'inbox';
  width: number;
  height: number;
  bytes: number;
  /** Variance of the Laplacian of the thumbnail (higher = sharper); undefined when unknown. */
  sharpness?: number;
}

export type DuplicateRelation = 'within-class' | 'conflicting-labels' | 'leak';

export interface DuplicateGroup {
  kind: 'exact' | 'near';
  /** Indices into the input items. */
  members: number[];
  /** Weakest confirmed link of the group (1 for exact copies). */
  similarity: number;
  keeper: number;
  keeperReason: string;
  /** Every relation that applies, the most serious first. */
  relations: DuplicateRelation[];
}

export interface NearOptions {
  /** Cosine similarity of pooled features a candidate pair needs. */
  minCosine: number;
  /** Perceptual-hash distance (dHash + pHash, bits of 128) that confirms a candidate. */
  maxHashDistance: number;
}

// Measured on the Fashion-MNIST demo (28-px garments, centred on black): different garments reach cosine 0.94-0.99
// and hash distances of 8-26, while resized, recompressed, colour-shifted or 2% cropped copies stay at cosine
// >= 0.99 and hash distance <= 10 in the tests here. At 0.97 / 12 two pairs of different trousers still matched; strict
// defaults keep look-alikes out of the groups (both are options).
export const DEFAULT_NEAR_OPTIONS: NearOptions = { minCosine: 0.985, maxHashDistance: 10 };

export interface CandidatePair {
  a: number;
  b: number;
  similarity: number;
}

/** Items grouped by content hash (groups of two or more, items without a hash skipped). */
export function exactGroups(items: readonly DuplicateItem[]): number[][] {
  const bySha = new Map<string, number[]>();
  items.forEach((it, i) => {
    if (!it.sha256) return;
    const g = bySha.get(it.sha256);
    if (g) g.push(i);
    else bySha.set(it.sha256, [i]);
  });
  return [...bySha.values()].filter((g) => g.length > 1);
}

/** Pairs of rows whose neighbour lists meet minCosine, each pair once (a < b). `rowItem` maps a searched row
 * to its item index (rows are unique contents; several items may share one). */
export function candidatePairs(neighbours: readonly Neighbour[][], minCosine: number): CandidatePair[] {
  const seen = new Set<string>();
  const out: CandidatePair[] = [];
  neighbours.forEach((list, a) => {
    for (const nb of list) {
      if (nb.similarity < minCosine || nb.row === a) continue;
      const lo = Math.min(a, nb.row);
      const hi = Math.max(a, nb.row);
      const key = `${lo}:${hi}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ a: lo, b: hi, similarity: nb.similarity });
    }
  });
  return out;
}

/** Slack below minCosine at which the quantised index proposes a pair; the exact cosine then decides. */
const INDEX_SLACK = 0.02;

/** Near-duplicate candidates among the unit-length rows of `m`: the index proposes, the exact cosine decides. */
export function nearCandidates(m: Matrix, minCosine: number, k = 8, options: GraphOptions = {}): CandidatePair[] {
  const proposed = candidatePairs(allNeighbours(m, k, options), minCosine - INDEX_SLACK);
  const out: CandidatePair[] = [];
  for (const p of proposed) {
    const similarity = dot(m.data, p.a * m.cols, m.data, p.b * m.cols, m.cols);
    if (similarity >= minCosine) out.push({ a: p.a, b: p.b, similarity });
  }
  return out;
}

/** Candidates whose perceptual hashes agree; a pair with a missing hash is not confirmed. */
export function confirmPairs(
  pairs: readonly CandidatePair[],
  hashOf: (row: number) => ImageHashes | undefined,
  maxHashDistance: number,
): CandidatePair[] {
  return pairs.filter((p) => {
    const ha = hashOf(p.a);
    const hb = hashOf(p.b);
    return ha !== undefined && hb !== undefined && hashDistance(ha, hb) <= maxHashDistance;
  });
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n).map((_, i) => i);
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** Connected components of confirmed pairs over `rowCount` rows: [rows, weakest link]. */
export function joinPairs(rowCount: number, pairs: readonly CandidatePair[]): { rows: number[]; similarity: number }[] {
  const uf = new UnionFind(rowCount);
  for (const p of pairs) uf.union(p.a, p.b);
  const weakest = new Map<number, number>();
  for (const p of pairs) {
    const r = uf.find(p.a);
    weakest.set(r, Math.min(weakest.get(r) ?? 1, p.similarity));
  }
  const comps = new Map<number, number[]>();
  for (const p of pairs) {
    for (const x of [p.a, p.b]) {
      const r = uf.find(x);
      const c = comps.get(r) ?? [];
      if (!c.includes(x)) c.push(x);
      comps.set(r, c);
    }
  }
  return [...comps.entries()].map(([r, rows]) => ({
    rows: rows.sort((a, b) => a - b),
    similarity: Math.min(1, weakest.get(r) ?? 1),
  }));
}

/** Most serious first: a label conflict corrupts training, a leak corrupts evaluation, a copy only wastes. */
export function relationsOf(items: readonly DuplicateItem[], members: readonly number[]): DuplicateRelation[] {
  const classes = new Set(
    members
      .map((i) => items[i]!)
      .filter((it) => it.className !== null)
      .map((it) => it.className),
  );
  const roles = new Set(members.map((i) => items[i]!.role));
  const out: DuplicateRelation[] = [];
  if (classes.size > 1) out.push('conflicting-labels');
  if (roles.has('train') && roles.has('inbox')) out.push('leak');
  if (out.length === 0) out.push('within-class');
  return out;
}

/** The copy to keep: the largest, then the sharpest, then a labelled one, then the largest file, then the first. */
export function suggestKeeper(
  items: readonly DuplicateItem[],
  members: readonly number[],
): { keeper: number; reason: string } {
  const area = (i: number): number => items[i]!.width * items[i]!.height;
  const sharp = (i: number): number => items[i]!.sharpness ?? 0;
  const ranked = [...members].sort(
    (a, b) =>
      area(b) - area(a) ||
      sharp(b) - sharp(a) ||
      Number(items[b]!.role === 'train') - Number(items[a]!.role === 'train') ||
      items[b]!.bytes - items[a]!.bytes ||
      a - b,
  );
  const k = ranked[0]!;
  const next = ranked[1];
  const it = items[k]!;
  const size = `${it.width}×${it.height}`;
  if (next === undefined) return { keeper: k, reason: 'only copy' };
  if (area(k) > area(next)) return { keeper: k, reason: `largest (${size})` };
  if (sharp(k) > sharp(next)) return { keeper: k, reason: `sharpest at the same size (${size})` };
  if (it.role === 'train' && items[next]!.role !== 'train')
    return { keeper: k, reason: 'same size and sharpness; labelled' };
  if (it.bytes > items[next]!.bytes) return { keeper: k, reason: 'same size and sharpness; largest file' };
  return { keeper: k, reason: 'identical in size and sharpness; the first' };
}

function describe(
  items: readonly DuplicateItem[],
  kind: 'exact' | 'near',
  members: number[],
  similarity: number,
): DuplicateGroup {
  const { keeper, reason } = suggestKeeper(items, members);
  return { kind, members, similarity, keeper, keeperReason: reason, relations: relationsOf(items, members) };
}

/**
 * Exact and near groups. `rowItems[r]` lists the items whose content is searched row r (copies share a row);
 * `confirmed` are the near pairs between rows. A near group absorbs the exact groups it touches, so no image is
 * reported twice. Groups come most serious first, then largest.
 */
export function buildGroups(
  items: readonly DuplicateItem[],
  rowItems: readonly (readonly number[])[],
  confirmed: readonly CandidatePair[],
): DuplicateGroup[] {
  const groups: DuplicateGroup[] = [];
  const inNear = new Set<number>();
  for (const comp of joinPairs(rowItems.length, confirmed)) {
    const members = comp.rows.flatMap((r) => rowItems[r]!);
    members.forEach((m) => inNear.add(m));
    groups.push(
      describe(
        items,
        'near',
        [...members].sort((a, b) => a - b),
        comp.similarity,
      ),
    );
  }
  for (const g of exactGroups(items)) {
    if (g.some((m) => inNear.has(m))) continue;
    groups.push(describe(items, 'exact', g, 1));
  }
  const severity: Record<DuplicateRelation, number> = { 'conflicting-labels': 0, leak: 1, 'within-class': 2 };
  return groups.sort(
    (a, b) =>
      severity[a.relations[0]!] - severity[b.relations[0]!] ||
      b.members.length - a.members.length ||
      a.members[0]! - b.members[0]!,
  );
}

/** Rows to search: one per distinct content (items without a hash get their own row). */
export function distinctRows(items: readonly DuplicateItem[]): { rowItems: number[][]; itemRow: Int32Array } {
  const rowOf = new Map<string, number>();
  const rowItems: number[][] = [];
  const itemRow = new Int32Array(items.length);
  items.forEach((it, i) => {
    const known = it.sha256 ? rowOf.get(it.sha256) : undefined;
    if (known !== undefined) {
      rowItems[known]!.push(i);
      itemRow[i] = known;
      return;
    }
    const r = rowItems.length;
    rowItems.push([i]);
    itemRow[i] = r;
    if (it.sha256) rowOf.set(it.sha256, r);
  });
  return { rowItems, itemRow };
}
