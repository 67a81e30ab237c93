// The whole review flow by keyboard in browser mode, against `ssod serve` on a small generated project; every
// decision is then read back from the project's audit trail through the CLI. Then the curate loop: retrain
// from the UI, "what moved", export from the UI, and the export checked on disk.
import { test, expect, type Page } from '@playwright/test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshProfile, makeProject, serve, ssod, type Project, type Served, tearDown } from './fixture.js';

interface HistoryEvent {
  imageId: number;
  action: string;
  newClass: string | null;
  note: string | null;
  reviewer: string;
  undoes: number | null;
  id: number;
}

const REVIEWER = 'e2e-reviewer';
const SHOTS = 'test-results/screens';

let project: Project;
let server: Served;
/** The app's own data folder for this run: the reviewer's name is asked for, as on a first start. */
let home: string;

test.beforeAll(async () => {
  test.setTimeout(15 * 60_000);
  mkdirSync(SHOTS, { recursive: true });
  project = await makeProject();
  home = freshProfile();
  server = await serve(project.dir, home);
});

test.afterAll(() => tearDown(server, project?.root, home));

const tile = (page: Page, index: number) => page.locator(`[data-testid="tile"][data-index="${index}"]`);

async function gridReady(page: Page) {
  await expect(page.getByTestId('grid')).toHaveAttribute('data-ready', 'true');
  await expect(tile(page, 0)).toHaveAttribute('data-id', /\d+/);
}

async function idOf(page: Page, index: number): Promise<number> {
  return Number(await tile(page, index).getAttribute('data-id'));
}

async function scoresOnScreen(page: Page, n: number): Promise<number[]> {
  const out: number[] = [];
  // The tile shows a percentile when the run is calibrated; the raw score is on the element.
  for (let i = 0; i < n; i++) out.push(Number(await tile(page, i).locator('.score').getAttribute('data-raw')));
  return out;
}

/** `ssod history DIR --json`: one JSON array, or one event per line. */
function history(dir: string): HistoryEvent[] {
  const out = ssod(['history', dir, '--limit', '1000', '--json']).trim();
  try {
    const value = JSON.parse(out) as HistoryEvent | HistoryEvent[] | { events: HistoryEvent[] };
    return Array.isArray(value) ? value : 'events' in value ? value.events : [value];
  } catch {
    return out
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as HistoryEvent);
  }
}

test('review by keyboard, retrain, what moved, export', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // Open: the login URL trades the token for the cookie and lands in the app with the project open.
  await page.goto(server.url);
  await expect(page.getByTestId('view-review')).toBeVisible();
  await gridReady(page);
  await page.screenshot({ path: `${SHOTS}/review.png` });

  // Sort: least OOD first, then back to most OOD first; the scores on screen follow.
  await page.getByTestId('sort-order').selectOption('asc');
  await gridReady(page);
  const asc = await scoresOnScreen(page, 5);
  expect([...asc].sort((a, b) => a - b)).toEqual(asc);
  await page.getByTestId('sort-order').selectOption('desc');
  await gridReady(page);
  const desc = await scoresOnScreen(page, 5);
  expect([...desc].sort((a, b) => b - a)).toEqual(desc);

  // Threshold: the flagged count follows the slider (keyboard on the slider).
  const slider = page.getByTestId('threshold-slider');
  await slider.focus();
  await page.keyboard.press('Home');
  const all = Number((await page.getByTestId('flagged-count').textContent())?.replace(/,/g, ''));
  await page.keyboard.press('End');
  await expect(page.getByTestId('flagged-count')).not.toHaveText(String(all));
  for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('flagged-count')).toHaveText(/\d/);
  await page.screenshot({ path: `${SHOTS}/review-threshold.png` });

  // Keyboard review on the grid.
  await tile(page, 0).click();
  const ids = await Promise.all([0, 1, 2, 3, 5, 6, 7, 8].map((i) => idOf(page, i)));
  const [id0, id1, id2, id3, ...bulkIds] = ids as [number, number, number, number, ...number[]];

  // The first decision asks who is reviewing, then goes ahead.
  await page.keyboard.press('k');
  await expect(page.getByTestId('reviewer-dialog')).toBeVisible();
  await page.getByTestId('reviewer-input').fill(REVIEWER);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('reviewer-dialog')).toBeHidden();
  await expect(tile(page, 0)).toHaveAttribute('data-decision', 'keep');
  await expect(page.getByTestId('grid')).toHaveAttribute('data-cursor', '1');

  await page.keyboard.press('x');
  await expect(tile(page, 1)).toHaveAttribute('data-decision', 'reject');

  await page.keyboard.press('r');
  await expect(page.getByTestId('relabel-dialog')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/relabel-dialog.png` });
  await page.keyboard.press('ArrowDown');
  const firstRelabel = await page.getByTestId('relabel-select').inputValue();
  await page.keyboard.press('Enter');
  await expect(tile(page, 2)).toHaveAttribute('data-decision', 'relabel');

  await page.keyboard.press('u');
  await expect(tile(page, 2)).toHaveAttribute('data-decision', '');
  await expect(page.getByTestId('grid')).toHaveAttribute('data-cursor', '2');

  await page.keyboard.press('r');
  await expect(page.getByTestId('relabel-dialog')).toBeVisible();
  const secondRelabel = await page.getByTestId('relabel-select').inputValue();
  await page.keyboard.press('Enter');
  await expect(tile(page, 2)).toHaveAttribute('data-decision', 'relabel');

  await page.keyboard.press('n');
  await expect(page.getByTestId('note-dialog')).toBeVisible();
  await page.keyboard.type('odd stripes');
  await page.keyboard.press('Enter');
  await expect(tile(page, 3)).toHaveAttribute('data-decision', 'unsure');

  // Detail: o opens, zoom persists, Escape closes.
  await page.keyboard.press('o');
  await expect(page.getByTestId('detail')).toBeVisible();
  await expect(page.getByTestId('detail-scores')).toBeVisible();
  await expect(page.getByTestId('detail-history')).toContainText('odd stripes');
  await page.keyboard.press('+');
  await page.screenshot({ path: `${SHOTS}/detail.png` });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('detail')).toBeHidden();

  // Bulk: click, Shift+click, reject all four.
  await tile(page, 5).click();
  await tile(page, 8).click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('selection-count')).toContainText('4 selected');
  await page.keyboard.press('x');
  for (const i of [5, 6, 7, 8]) await expect(tile(page, i)).toHaveAttribute('data-decision', 'reject');

  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts-dialog')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/shortcuts.png` });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('metrics-basis')).toContainText('rejected');
  await page.screenshot({ path: `${SHOTS}/review-decided.png` });

  // Every decision is in the audit trail, with the reviewer's name.
  const events = history(project.dir);
  const standing = (id: number) => events.filter((e) => e.imageId === id);
  expect(standing(id0).map((e) => e.action)).toContain('keep');
  expect(standing(id1).map((e) => e.action)).toContain('reject');
  const on2 = standing(id2).map((e) => e.action);
  expect(on2.filter((a) => a === 'relabel')).toHaveLength(2);
  expect(on2).toContain('undo');
  expect(standing(id2).some((e) => e.newClass === firstRelabel)).toBe(true);
  expect(standing(id2).some((e) => e.newClass === secondRelabel)).toBe(true);
  expect(standing(id3).some((e) => e.note === 'odd stripes')).toBe(true);
  for (const id of bulkIds) expect(standing(id).map((e) => e.action)).toContain('reject');
  for (const e of events) expect(e.reviewer).toBe(REVIEWER);

  // Other views.
  await page.getByTestId('nav-projects').click();
  await expect(page.getByTestId('project-current')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/projects.png` });
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-theme').selectOption('dark');
  await page.getByTestId('settings-save').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: `${SHOTS}/settings-dark.png` });
  await page.getByTestId('settings-theme').selectOption('light');
  await page.getByTestId('settings-save').click();

  // Retrain from the UI, then "what moved".
  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('view-train')).toBeVisible();
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('header-job')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/train-progress.png` });
  await expect(page.getByTestId('fresh-run')).toBeVisible({ timeout: 10 * 60_000 });
  await page.screenshot({ path: `${SHOTS}/train-done.png` });
  await page.getByTestId('see-what-moved').click();
  await expect(page.getByTestId('diff-summary')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/what-moved.png` });
  await page.getByTestId('nav-runs').click();
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await page.screenshot({ path: `${SHOTS}/runs.png` });

  // Export from the UI (train minus rejected), then check it on disk.
  await page.getByTestId('nav-review').click();
  await gridReady(page);
  await page.getByTestId('open-export').click();
  const out = join(project.root, 'export');
  await page.getByTestId('export-out').fill(out);
  await page.getByTestId('export-include').selectOption('train');
  await page.screenshot({ path: `${SHOTS}/export-dialog.png` });
  await page.getByTestId('export-start').click();
  await expect(page.getByTestId('export-result')).toBeVisible({ timeout: 5 * 60_000 });
  await page.screenshot({ path: `${SHOTS}/export-done.png` });
  expect(existsSync(join(out, 'manifest.csv'))).toBe(true);
  expect(existsSync(join(out, 'decisions.jsonl'))).toBe(true);
  const manifest = readFileSync(join(out, 'manifest.csv'), 'utf8').trim().split('\n');
  expect(manifest.length).toBeGreaterThan(1);

  expect(errors).toEqual([]);
});
