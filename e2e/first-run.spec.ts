// The first ten minutes, from a profile nobody has used (no projects, no settings): the start page, the demo
// built and opened without a reload, the tour, and the reviewer's name asked for at the first decision and
// found in the project's audit trail.
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import { freshProfile, serve, ssod, type Served, tearDown } from './fixture.js';

interface HistoryEvent {
  imageId: number;
  action: string;
  reviewer: string;
}

const SHOTS = 'test-results/screens';
let home: string;
let server: Served;

test.beforeAll(async () => {
  home = freshProfile();
  server = await serve(null, home);
});

test.afterAll(() => tearDown(server, home));

test('start page → demo → Review with flagged images, a decision with the name asked at that moment', async ({
  page,
}) => {
  test.setTimeout(10 * 60_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(server.url);
  await expect(page.getByTestId('start-page')).toBeVisible();
  // Nothing modal at start: no dialog, and the three ways in are all there and usable.
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByTestId('start-demo')).toBeEnabled();
  await expect(page.getByTestId('start-folder-path')).toBeEditable();
  await expect(page.getByTestId('recent-empty')).toBeVisible();
  await expect(page.getByTestId('demo-summary')).toContainText('In-distribution');
  await page.screenshot({ path: `${SHOTS}/start-page.png` });

  await page.getByTestId('start-demo').click();
  await expect(page.getByTestId('demo-progress')).toBeVisible();
  await expect(page.getByTestId('header-job')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/demo-building.png` });

  // The demo scans and trains on its own, then opens Review: no reload, no click.
  await expect(page.getByTestId('view-review')).toBeVisible({ timeout: 8 * 60_000 });
  const grid = page.getByTestId('grid');
  await expect(grid).toHaveAttribute('data-ready', 'true');
  await expect(grid).not.toHaveAttribute('data-total', '0');
  const first = page.locator('[data-testid="tile"][data-index="0"]');
  await expect(first).toHaveClass(/flagged/);
  await expect(first.locator('.score')).toHaveText(/\d/);
  await expect(page.getByTestId('flagged-count')).toHaveText(/[1-9]/);
  await expect(page.getByTestId('tour')).toHaveAttribute('data-step', '1');
  await page.screenshot({ path: `${SHOTS}/demo-review-tour.png` });

  // Every view heard the demo finish: counts, engine and the current run, still without a reload.
  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('scan-counts')).toContainText('296 images ok');
  await expect(page.getByTestId('engine-info')).not.toContainText('—');
  await expect(page.getByTestId('current-run')).toContainText('#1');
  await page.getByTestId('nav-review').click();
  await expect(grid).toHaveAttribute('data-ready', 'true');

  // The tour: next, the heatmap of one image, then skip the rest.
  await page.getByTestId('tour-next').click();
  await page.getByTestId('tour-action').click();
  await expect(page.getByTestId('detail')).toBeVisible();
  await expect(page.getByTestId('detail-why')).toContainText(/More unusual than .*%.*nearest class/);
  await page.screenshot({ path: `${SHOTS}/demo-detail.png` });
  await page.getByTestId('tour-skip').click();
  await expect(page.getByTestId('tour')).toHaveCount(0);
  await page.getByTestId('detail-close').click();

  // The first decision asks who is reviewing; the decision goes ahead once the name is given.
  await first.click();
  const id = Number(await first.getAttribute('data-id'));
  await page.keyboard.press('x');
  const dialog = page.getByTestId('reviewer-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('reviewer-input')).toBeFocused();
  await page.screenshot({ path: `${SHOTS}/reviewer-asked.png` });
  await page.getByTestId('reviewer-input').fill('Ana Newcomer');
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(first).toHaveAttribute('data-decision', 'reject');
  await expect(grid).toHaveAttribute('data-cursor', '1');
  // Focus went back to the grid: the next key is a decision, not lost.
  await page.keyboard.press('k');
  await expect(page.locator('[data-testid="tile"][data-index="1"]')).toHaveAttribute('data-decision', 'keep');

  // `ssod history --json` prints one event per line.
  const events = ssod(['history', join(home, 'projects', 'demo'), '--json'], 60_000, home)
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as HistoryEvent);
  const mine = events.filter((e) => e.imageId === id);
  expect(mine.map((e) => e.action)).toContain('reject');
  for (const e of events) expect(e.reviewer).toBe('Ana Newcomer');

  // The name is the person's: a reload neither asks again nor forgets it.
  await page.reload();
  await expect(page.getByTestId('view-review')).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('settings-reviewer')).toHaveValue('Ana Newcomer');
  expect(errors).toEqual([]);
});
