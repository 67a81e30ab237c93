// Builds the committed demo dataset resources/demo/: 36 Fashion-MNIST training images for each of classes 0-5,
// and an inbox of 60 unseen images of those classes plus 20 out-of-distribution ones (3 each of classes 6-9 and
// 8 letters rendered from DejaVu fonts). inbox-truth.csv says which is which (for tests and demos only).
//   node bin/run-ts.js scripts/data/make-demo.ts [OUT_DIR=resources/demo]
import { mkdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { FASHION_CLASSES, loadFashion, pickPerClass, writeGreyPng } from './fashion-mnist.js';
import { listFonts, renderLetter } from './letters.js';

const out = process.argv[2] ?? 'resources/demo';
const train = loadFashion('train');
const test = loadFashion('test');
for (const sub of ['train', 'inbox']) rmSync(join(out, sub), { recursive: true, force: true });

for (const i of pickPerClass(train.labels, [0, 1, 2, 3, 4, 5], 36)) {
  const dir = join(out, 'train', FASHION_CLASSES[train.labels[i]!]!);
  mkdirSync(dir, { recursive: true });
  await writeGreyPng(train.images, i, join(dir, `fmnist-train-${i}.png`));
}

const inbox = join(out, 'inbox');
mkdirSync(inbox, { recursive: true });
const truth: string[] = ['file,truth,kind'];
const entries: { file: string; truth: string; kind: string; write: (f: string) => Promise<void> }[] = [];
for (const i of pickPerClass(test.labels, [0, 1, 2, 3, 4, 5], 10))
  entries.push({
    file: '',
    truth: FASHION_CLASSES[test.labels[i]!]!,
    kind: 'id',
    write: (f) => writeGreyPng(test.images, i, f),
  });
for (const i of pickPerClass(test.labels, [6, 7, 8, 9], 3))
  entries.push({
    file: '',
    truth: FASHION_CLASSES[test.labels[i]!]!,
    kind: 'near-ood',
    write: (f) => writeGreyPng(test.images, i, f),
  });
// DejaVuMathTeXGyre has another licence than the Bitstream Vera one the demo's LICENSE.md carries.
const fonts = (await listFonts('dejavu')).filter((f) => !f.includes('MathTeXGyre'));
['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].forEach((letter, k) => {
  const font = fonts[(k * 3) % fonts.length]!;
  entries.push({ file: '', truth: `letter-${letter}`, kind: 'far-ood', write: (f) => renderLetter(font, letter, f) });
});
// Inbox names are neutral and interleaved so nothing in a file name gives the answer away.
let seed = 12345;
const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
for (let i = entries.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [entries[i], entries[j]] = [entries[j]!, entries[i]!];
}
for (let k = 0; k < entries.length; k++) {
  const e = entries[k]!;
  e.file = `img-${String(k + 1).padStart(3, '0')}.png`;
  const tmp = join(inbox, `.tmp-${e.file}`);
  await e.write(tmp);
  renameSync(tmp, join(inbox, e.file));
  truth.push(`${e.file},${e.truth},${e.kind}`);
}
writeFileSync(join(out, 'inbox-truth.csv'), truth.join('\n') + '\n');
console.log(`demo written to ${out}: 216 training images, ${entries.length} inbox images`);
