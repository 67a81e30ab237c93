// The Fashion-MNIST + letters set (quality-data.ts) in the benchmark's common shape.
import { FASHION_CLASSES } from '../data/fashion-mnist.js';
import { benchFeatures, ID_CLASSES } from './quality-data.js';
import type { BenchSet } from './quality-sets.js';

/** What the set is, whatever backbone extracts its features. */
export function fashionSetInfo(perClass: number): Pick<BenchSet, 'id' | 'title' | 'classes' | 'describe'> {
  return {
    id: 'fashion',
    title: 'Fashion-MNIST + rendered letters (grey, 28×28)',
    classes: ID_CLASSES.map((k) => FASHION_CLASSES[k]!.replace('/', '_')),
    describe:
      `ID = Fashion-MNIST classes 0-5, near-OOD = classes 6-9, far-OOD = letters A-J from Debian fonts. Train: ` +
      `${perClass} per ID class; validation: the next 100 per ID class, 100 per near class (training file), letters of ` +
      `even-numbered fonts; test: 167 per ID class, 250 per near class (test file), letters of odd-numbered fonts.`,
  };
}

export async function fashionSet(workDir: string, size: number, perClass: number): Promise<BenchSet> {
  return {
    ...fashionSetInfo(perClass),
    splits: await benchFeatures(workDir, size, perClass),
    mapLayer: 'block_12_add',
    pooledLayer: 'block_16_expand_relu',
  };
}
