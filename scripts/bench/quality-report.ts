// Renders the quality benchmark's JSON (npm run bench:quality -- --json FILE) as the Markdown tables of
// docs/benchmarks-quality.md, so the committed figures are the measured ones, not retyped.
//   node bin/run-ts.js scripts/bench/quality-report.ts FILE.json [FILE.json ...]
import { readFileSync } from 'node:fs';
import { goals, table, type SetResult } from './quality-format.js';

const results = process.argv.slice(2).flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as SetResult[]);
for (const r of results) {
  const phases = Object.entries(r.phaseMs ?? {})
    .slice(0, 4)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
    .join(', ');
  console.log(`\n## ${r.title}\n\n${r.describe}\n`);
  console.log(
    `Images per split: ${Object.entries(r.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}. Train + 5-fold out-of-fold scoring + scoring validation and test: ` +
      `${r.trainSeconds.toFixed(1)} s at load average ${r.load.map((x) => x.toFixed(1)).join(' / ')}` +
      (phases ? ` (largest phases, summed over models: ${phases})` : '') +
      '.',
  );
  console.log(`\n**Default chosen on validation:** ${r.choice.message}.\n`);
  console.log(`### Validation (chooses the default)\n\n${table(r.val, r.idAccuracy.val)}\n`);
  console.log(`### Test (reported once)\n\n${table(r.test, r.idAccuracy.test)}\n`);
  console.log(
    `**Goals on test:**\n\n${goals(r.test)
      .map((g) => `- ${g}`)
      .join('\n')}`,
  );
}
