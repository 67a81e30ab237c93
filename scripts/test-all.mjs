#!/usr/bin/env node
// `npm test`: every check and every suite, then one summary line `N passed, N failed, N skipped` computed from
// the runners' JSON reports. Exits non-zero if anything failed. Suites: lint, types, unit (vitest),
// reliability (vitest, CI size), browser e2e (Playwright against `ssod serve`), and 'cycles': no import cycle
// anywhere in src/ (type-only imports count: a cycle of types still ties two modules into one).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const only = process.argv.slice(2);
mkdirSync('reports', { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSuites = [];

function run(name, cmd, args, env = {}) {
  if (only.length && !only.includes(name)) return null;
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

function check(name, cmd, args) {
  const status = run(name, cmd, args);
  if (status === null) return;
  if (status === 0) totals.passed += 1;
  else {
    totals.failed += 1;
    failedSuites.push(name);
  }
}

function vitestSuite(name, config) {
  const report = `reports/${name}.json`;
  rmSync(report, { force: true });
  const status = run(name, 'npx', [
    'vitest',
    'run',
    '--config',
    config,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ]);
  if (status === null) return;
  let counted = false;
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += r.numPassedTests ?? 0;
    // A file that failed to load has no failed tests of its own: count it once, so each failure counts once.
    const failedTests = r.numFailedTests ?? 0;
    totals.failed += failedTests + (failedTests === 0 ? (r.numFailedTestSuites ?? 0) : 0);
    totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    counted = true;
  }
  if (status !== 0 || !counted) {
    if (!counted) totals.failed += 1;
    failedSuites.push(name);
  }
}

function playwrightSuite(name) {
  const report = 'reports/playwright.json';
  rmSync(report, { force: true });
  const build = run(`${name}-build`, 'npx', [
    'vite',
    'build',
    '--config',
    'renderer/vite.config.ts',
    '--logLevel',
    'warn',
  ]);
  if (build === null) return;
  if (build !== 0) {
    totals.failed += 1;
    failedSuites.push(`${name}-build`);
    return;
  }
  const status = run(name, 'npx', ['playwright', 'test'], { PLAYWRIGHT_JSON_OUTPUT_NAME: report });
  let counted = false;
  if (existsSync(report)) {
    const s = JSON.parse(readFileSync(report, 'utf8')).stats ?? {};
    totals.passed += (s.expected ?? 0) + (s.flaky ?? 0);
    totals.failed += s.unexpected ?? 0;
    totals.skipped += s.skipped ?? 0;
    counted = true;
  }
  if (status !== 0 || !counted) {
    if (!counted) totals.failed += 1;
    failedSuites.push(name);
  }
}

/** dependency-cruiser's API (its CLI refuses Node 20; the API runs on it). One line per cycle found. */
async function cyclesCheck(name) {
  if (only.length && !only.includes(name)) return;
  console.log(`\n=== ${name}: dependency-cruiser, no circular imports in src/`);
  const { cruise } = await import('dependency-cruiser');
  const result = await cruise(
    ['src'],
    {
      validate: true,
      ruleSet: { forbidden: [{ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } }] },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: 'node_modules' },
    },
    {},
    { tsConfig: { fileName: 'tsconfig.json' } },
  );
  const { violations, totalCruised } = result.output.summary;
  for (const v of violations)
    console.log(`  cycle: ${v.from} → ${(v.cycle ?? []).map((c) => c.name ?? c).join(' → ')}`);
  console.log(`${totalCruised} modules, ${violations.length} cycles`);
  if (violations.length === 0) totals.passed += 1;
  else {
    totals.failed += 1;
    failedSuites.push(name);
  }
}

check('lint', 'npx', ['eslint', '--max-warnings', '0', '.']);
await cyclesCheck('cycles');
check('format', 'npx', ['prettier', '--check', '.', '--log-level', 'warn']);
check('typecheck', 'npm', ['run', '--silent', 'typecheck']);
vitestSuite('unit', 'vitest.config.ts');
vitestSuite('reliability', 'vitest.reliability.config.ts');
playwrightSuite('e2e');

if (failedSuites.length) console.log(`\nfailed suites: ${failedSuites.join(', ')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSuites.length ? 1 : 0);
