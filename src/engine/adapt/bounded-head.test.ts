// The promise: an input unlike anything in training (a texture, a thin bright stroke) must not get a
// confident in-distribution score from the adapt run's OOD head. Real Fashion-MNIST maps, a short adapt run.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone } from '../backbones/load-backbone.js';
import { selectBackend } from '../backends/select-backend.js';
import { createMemoryStore } from '../ssod/memory-store.js';
import { createRng } from '../ssod/rng.js';
import { adaptedFeatureStore, scoreAdaptedHeads, unprojected } from './adapted-store.js';
import { trainAdapt } from './train-adapt.js';
import { fashionBlock12Maps } from './testing/fashion-maps.js';

const SIZE = 96;
const N = 160;
const TRAIN = 120;

/** A noise texture and a thin bright diagonal stroke on black. */
function strangeImages(): Float32Array {
  const px = new Float32Array(2 * SIZE * SIZE * 3);
  const rng = createRng(7);
  for (let i = 0; i < SIZE * SIZE * 3; i++) px[i] = rng();
  for (let y = 0; y < SIZE; y++)
    for (let x = Math.max(0, y - 1); x <= Math.min(SIZE - 1, y + 1); x++)
      px.fill(1, SIZE * SIZE * 3 + (y * SIZE + x) * 3, SIZE * SIZE * 3 + (y * SIZE + x) * 3 + 3);
  return px;
}

let store: ReturnType<typeof createMemoryStore>;
let labels: Uint8Array;

beforeAll(async () => {
  await selectBackend('wasm');
  const real = await fashionBlock12Maps(N, SIZE);
  labels = real.labels;
  const backbone = await loadBackbone('mobilenet_v2', { inputSize: SIZE, mapLayer: 'block_12_add' });
  const odd = await backbone.extract(strangeImages(), 2);
  backbone.dispose();
  const maps = new Float32Array(real.maps.length + odd.maps.length);
  maps.set(real.maps);
  maps.set(odd.maps, real.maps.length);
  store = createMemoryStore({ ...real.layout, pooledC: 1 }, maps, new Float32Array(N + 2));
}, 120_000);

describe('bounded OOD head after adaptation', () => {
  it('gives a texture and a thin bright stroke no confident in-distribution score', async () => {
    const r = await trainAdapt({
      features: store,
      classes: '0123456789'.split(''),
      train: Array.from(labels.subarray(0, TRAIN), (label, row) => ({ row, label })),
      config: { epochs: 3, warmupEpochs: 2 },
    });
    const rows = Array.from({ length: N + 2 }, (_, i) => i);
    const s = await scoreAdaptedHeads(r.heads, adaptedFeatureStore(unprojected(r), store), rows);
    // "Not confident": below even odds, pooled by the mean or by the minimum over positions. (Ranking them below
    // held-out ID images is not promised: on this data the trained head does not, see docs/ssod.md.)
    for (const odd of [s[N]!, s[N + 1]!]) {
      expect(odd.pId).toBeLessThan(0.5);
      expect(odd.pIdMin).toBeLessThan(0.5);
    }
    // The bound itself: no image can score above sigmoid(bias).
    const bound = 1 / (1 + Math.exp(-r.heads.oodBias));
    for (const x of s) expect(x.pId).toBeLessThanOrEqual(bound + 1e-6);
  }, 600_000);
});
