import { describe, expect, it } from 'vitest';
import { createRng, normals } from '../ssod/rng.js';
import { neighbourOverlap, pcaLayout, umapLayout } from './embedding-map.js';
import { matrix, normaliseRows, type Matrix } from './vectors.js';

/** Six clusters on a circle in 2-D, lifted linearly into 40-D around a common direction, then unit-normalised:
 * cosine neighbourhoods in 40-D are the 2-D neighbourhoods. */
function knownLayout(perCluster: number): { plane: Float32Array; lifted: Matrix; cluster: Int32Array } {
  const rng = createRng(4);
  const n = 6 * perCluster;
  const plane = new Float32Array(2 * n);
  const cluster = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 6;
    const [dx, dy] = normals(2, 1, rng);
    plane[2 * i] = 10 * Math.cos((c * Math.PI) / 3) + dx!;
    plane[2 * i + 1] = 10 * Math.sin((c * Math.PI) / 3) + dy!;
    cluster[i] = c;
  }
  const d = 40;
  const [ax, ay, base] = [normals(d, 1, rng), normals(d, 1, rng), normals(d, 1, rng)];
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) data[i * d + j] = 40 * base[j]! + plane[2 * i]! * ax[j]! + plane[2 * i + 1]! * ay[j]!;
  }
  return { plane, lifted: normaliseRows(matrix(data, n, d)), cluster };
}

/** Share of points whose nearest map neighbour is in the same cluster. */
function clusterPurity(layout: Float32Array, cluster: Int32Array): number {
  const n = cluster.length;
  let same = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < n; j++) {
      const d = (layout[2 * i]! - layout[2 * j]!) ** 2 + (layout[2 * i + 1]! - layout[2 * j + 1]!) ** 2;
      if (j !== i && d < bestD) [best, bestD] = [j, d];
    }
    if (cluster[best] === cluster[i]) same++;
  }
  return same / n;
}

describe('embeddings map', () => {
  const { plane, lifted, cluster } = knownLayout(60);

  it('PCA recovers a linearly lifted 2-D layout', () => {
    expect(neighbourOverlap(plane, pcaLayout(lifted), 10)).toBeGreaterThan(0.85);
  });

  it('UMAP keeps the known clusters apart and most neighbourhoods', async () => {
    const progress: number[] = [];
    const layout = await umapLayout(lifted, { nEpochs: 120, onProgress: (p) => progress.push(p.done) });
    expect(layout).toHaveLength(2 * lifted.rows);
    expect(clusterPurity(layout, cluster)).toBeGreaterThan(0.95);
    expect(neighbourOverlap(plane, layout, 10)).toBeGreaterThan(0.4);
    expect(progress.at(-1)).toBe(120);
  });

  it('places the images outside the sample beside their neighbours', async () => {
    const layout = await umapLayout(lifted, { nEpochs: 120, sampleSize: 120 });
    expect(clusterPurity(layout, cluster)).toBeGreaterThan(0.9);
  });

  it('projects wide rows on their strongest directions first and still keeps the clusters apart', async () => {
    const progress: string[] = [];
    const layout = await umapLayout(lifted, { nEpochs: 120, reduceTo: 6, onProgress: (p) => progress.push(p.phase) });
    expect(progress).toContain('map-reduce');
    expect(clusterPurity(layout, cluster)).toBeGreaterThan(0.95);
    const sampled = await umapLayout(lifted, { nEpochs: 120, reduceTo: 6, sampleSize: 120 });
    expect(clusterPurity(sampled, cluster)).toBeGreaterThan(0.9);
  });

  it('stops when cancelled, and lays out tiny sets without UMAP', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(umapLayout(lifted, { signal: ctl.signal })).rejects.toMatchObject({ code: 'cancelled' });
    const three = normaliseRows(matrix(new Float32Array([1, 0, 0, 1, 1, 1]), 3, 2));
    expect(await umapLayout(three)).toHaveLength(6);
    const same = matrix(new Float32Array(8).fill(1), 4, 2);
    expect([...pcaLayout(same)].every((v) => v === 0)).toBe(true);
  });
});
