// Labeling in browser mode, against `ssod serve` on a small generated project whose inbox holds the three trained
// shapes and noise: ten inbox images labelled with number keys, a bulk accept previewed and undone with one `u`,
// a new class created from a typed name and given five examples, a retrain that learns it, and an export that
// puts every labelled image under its class. What the app wrote is read back through the CLI.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ssod } from './fixture.js';
import { useServedProject } from './served-project.js';

interface ListedRow {
  id: number;
  relPath: string;
  role: string;
  class: string | null;
  classSource?: string | null;
  decision: { action: string } | null;
}

interface HistoryEvent {
  imageId: number;
  action: string;
  newClass: string | null;
  reviewer: string;
}

const REVIEWER = 'e2e-labeller';
const SHOTS = 'test-results/screens';
const SHAPES = ['disc', 'bar', 'ring', 'noise'] as const;
const NEW_CLASS = 'static';

// Forty inbox images: ten to label by keys, enough left for a bulk accept, five for the new class.
const served = useServedProject({ perClass: 14, inbox: 40 });

test.beforeAll(() => {
  mkdirSync(SHOTS, { recursive: true });
});

/** `ssod list|history --json`: one JSON array, an object holding one, or one JSON value per line. */
function jsonRows<T>(args: string[]): T[] {
  const out = ssod([...args, '--json']).trim();
  try {
    const value = JSON.parse(out) as T | T[] | { rows?: T[]; events?: T[] };
    if (Array.isArray(value)) return value;
    const wrapped = value as { rows?: T[]; events?: T[] };
    return wrapped.rows ?? wrapped.events ?? [value as T];
  } catch {
    return out
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as T);
  }
}

const inbox = () => jsonRows<ListedRow>(['list', served.project.dir, '--role', 'inbox', '--limit', '1000']);
const unlabelled = () => inbox().filter((r) => r.class === null && r.decision?.action !== 'reject').length;
/** The generated inbox names its truth: in-N.png is SHAPES[N % 4]. */
const truth = (relPath: string) => SHAPES[Number(/in-(\d+)\./.exec(relPath)?.[1] ?? 0) % 4]!;

const tile = (page: Page, index: number) => page.locator(`[data-testid="tile"][data-index="${index}"]`);
const cursor = async (page: Page) => Number(await page.getByTestId('grid').getAttribute('data-cursor'));

async function gridReady(page: Page) {
  await expect(page.getByTestId('grid')).toHaveAttribute('data-ready', 'true');
}

async function noCriticalViolations(page: Page, where: string) {
  const result = await new AxeBuilder({ page }).analyze();
  const critical = result.violations.filter((v) => v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
  expect(critical, `critical accessibility violations on ${where}`).toEqual([]);
}

/** The legend's number key for each class, read from the page as a person reads it. */
async function legendKeys(page: Page): Promise<Record<string, string>> {
  const entries = page.getByTestId('legend-class');
  await expect(entries.first()).toBeVisible();
  const keys: Record<string, string> = {};
  for (const el of await entries.all()) {
    const name = await el.getAttribute('data-class');
    const key = await el.getAttribute('data-key');
    if (name && key) keys[name] = key;
  }
  return keys;
}

/** Walks the informative order from the top, giving each shape its class by number key until `want` are done. */
async function labelShapesByKey(page: Page, keys: Record<string, string>, want: number): Promise<string[]> {
  const labelled: string[] = [];
  await tile(page, 0).click();
  for (let guard = 0; labelled.length < want && guard < 40; guard++) {
    const at = await cursor(page);
    const t = tile(page, at);
    const relPath = (await t.getAttribute('aria-label'))?.split(', ').pop() ?? '';
    const shape = truth(relPath);
    if (shape === 'noise') {
      await page.keyboard.press('ArrowRight');
      await expect(page.getByTestId('grid')).toHaveAttribute('data-cursor', String(at + 1));
      continue;
    }
    await page.keyboard.press(keys[shape]!);
    if (labelled.length === 0) {
      // A fresh profile: the first label asks who is labelling, then goes ahead.
      await expect(page.getByTestId('reviewer-dialog')).toBeVisible();
      await page.getByTestId('reviewer-input').fill(REVIEWER);
      await page.keyboard.press('Enter');
    }
    await expect(t).toHaveAttribute('data-class', shape);
    await expect(page.getByTestId('grid')).toHaveAttribute('data-cursor', String(at + 1));
    labelled.push(relPath);
  }
  return labelled;
}

/** `r` on the cursor's image, a typed name that is no class yet, Create: returns the new class's number key. */
async function createClassHere(page: Page): Promise<string> {
  await page.keyboard.press('r');
  await expect(page.getByTestId('relabel-dialog')).toBeVisible();
  await page.getByTestId('relabel-filter').fill(NEW_CLASS);
  await expect(page.getByTestId('class-hint')).toContainText('needs 5 examples');
  await noCriticalViolations(page, 'the class picker');
  await page.getByTestId('relabel-create').click();
  const created = page.locator(`[data-testid="legend-class"][data-class="${NEW_CLASS}"]`);
  await expect(created).toBeVisible();
  const key = (await created.getAttribute('data-key')) ?? '';
  expect(key).toMatch(/^[1-9]$/);
  return key;
}

test('label by keys, bulk accept and undo, a new class, retrain, export', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.server.url);
  await expect(page.getByTestId('view-review')).toBeVisible();
  await gridReady(page);

  // The inbox, most informative first: every tile shows its suggestion and calibrated confidence.
  await page.getByTestId('grid').focus();
  await page.keyboard.press('i');
  await gridReady(page);
  const waiting = Number(await page.getByTestId('grid').getAttribute('data-total'));
  expect(waiting).toBe(40);
  await expect(tile(page, 0).getByTestId('tile-suggestion')).toHaveText(/^(disc|bar|ring) \d+%$/);
  const keys = await legendKeys(page);
  expect(Object.keys(keys).sort()).toEqual(['bar', 'disc', 'ring']);
  await page.screenshot({ path: `${SHOTS}/labeling-inbox.png` });

  // Ten labels with number keys; each is a `relabel` event by the reviewer, and the CLI reads the class back.
  const ten = await labelShapesByKey(page, keys, 10);
  const rows = inbox();
  for (const relPath of ten) {
    const row = rows.find((r) => relPath.endsWith(r.relPath) || r.relPath.endsWith(relPath));
    expect(row, relPath).toMatchObject({ class: truth(relPath), classSource: 'label' });
  }
  const events = jsonRows<HistoryEvent>(['history', served.project.dir, '--limit', '1000']);
  expect(events.filter((e) => e.action === 'relabel' && e.reviewer === REVIEWER)).toHaveLength(10);
  await expect(page.getByTestId('suggestion-accuracy')).toContainText(/suggestions right \d+%/);
  await noCriticalViolations(page, 'the labeling grid');

  // Bulk accept: the preview says how many and how many are expected wrong; one `u` takes the batch back.
  const before = unlabelled();
  await page.keyboard.press('b');
  await expect(page.getByTestId('bulk-dialog')).toBeVisible();
  await page.getByTestId('bulk-cut').fill('0.3');
  await expect(page.getByTestId('bulk-count')).not.toHaveText('0');
  const previewed = Number(await page.getByTestId('bulk-count').textContent());
  await expect(page.getByTestId('bulk-expected-wrong')).toHaveText(/^\d+\.\d$/);
  await expect(page.getByTestId('bulk-per-class')).toBeVisible();
  await noCriticalViolations(page, 'the bulk-accept dialog');
  await page.screenshot({ path: `${SHOTS}/labeling-bulk.png` });
  await page.getByTestId('bulk-accept').click();
  await expect(page.getByTestId('bulk-dialog')).toBeHidden();
  await expect.poll(unlabelled).toBe(before - previewed);
  await page.getByTestId('grid').focus();
  await page.keyboard.press('u');
  await expect.poll(unlabelled).toBe(before);

  // A new class from a typed name, said to need five examples; then four more by its number key. The cursor walks
  // the waiting images (only the tiles on screen exist, so the cursor's tile is the one read).
  await page.getByTestId('filter-labelled').selectOption('no');
  await gridReady(page);
  await tile(page, 0).click();
  const created = page.locator(`[data-testid="legend-class"][data-class="${NEW_CLASS}"]`);
  let newKey = '';
  for (let given = 0, guard = 0; given < 5 && guard < 60; guard++) {
    const at = await cursor(page);
    const t = tile(page, at);
    if (truth((await t.getAttribute('aria-label'))?.split(', ').pop() ?? '') !== 'noise') {
      await page.keyboard.press('ArrowRight');
      await expect(page.getByTestId('grid')).toHaveAttribute('data-cursor', String(at + 1));
      continue;
    }
    if (given === 0) newKey = await createClassHere(page);
    else await page.keyboard.press(newKey);
    await expect(t).toHaveAttribute('data-class', NEW_CLASS);
    given++;
    if (given < 5) await expect(created.getByTestId('legend-needs')).toHaveText(`needs ${5 - given}`);
  }
  await expect(created).toBeVisible();
  await expect(created.getByTestId('legend-needs')).toHaveCount(0);

  // Retrain: the labelled inbox images train as their classes, so the new class is one the run knows.
  await page.getByTestId('nav-train').click();
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('fresh-run')).toBeVisible({ timeout: 10 * 60_000 });
  await page.getByTestId('nav-review').click();
  await gridReady(page);
  await expect(page.locator(`[data-testid="legend-class"][data-class="${NEW_CLASS}"]`)).toHaveAttribute(
    'data-in-run',
    'true',
  );

  // The Runs view shows the new run's reliability diagram.
  await page.getByTestId('nav-runs').click();
  await expect(page.getByTestId('run-calibration')).toBeVisible();
  // 42 folder images and 15 labels scored out of fold: enough held-out images for a fitted calibration.
  await expect(page.getByTestId('reliability-table')).toBeVisible();
  await expect(page.getByTestId('calibration-empty')).toHaveCount(0);
  await expect(page.getByTestId('calibration-summary')).toContainText('calibrated by temperature scaling');
  expect(await page.getByTestId('reliability-bin').count()).toBeGreaterThan(0);
  await expect(page.getByTestId('calibration-cuts')).toContainText('0.95');
  await page.screenshot({ path: `${SHOTS}/labeling-runs.png` });

  // Export: every labelled inbox image lies under its class.
  await page.getByTestId('nav-review').click();
  await gridReady(page);
  await page.getByTestId('open-export').click();
  const out = join(served.project.root, 'export');
  await page.getByTestId('export-out').fill(out);
  await page.getByTestId('export-include').selectOption('all');
  await page.getByTestId('export-start').click();
  await expect(page.getByTestId('export-result')).toBeVisible({ timeout: 5 * 60_000 });
  const labelledNow = inbox().filter((r) => r.class !== null && r.classSource === 'label');
  expect(labelledNow.length).toBe(15);
  for (const r of labelledNow) {
    const name = r.relPath.split('/').pop()!;
    expect(existsSync(join(out, 'images', r.class!, name)), `${r.relPath} under ${r.class}`).toBe(true);
  }

  expect(errors).toEqual([]);
});
