// Curation in browser mode against `ssod serve`: a training image copied into another class (conflicting
// labels) and into the inbox (a leak) shows as a duplicate group; one key keeps the suggested copy and rejects
// the rest, recorded in the audit trail as a duplicate; the budget panel follows the number of reviews.
import { test, expect } from '@playwright/test';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freshProfile, makeProject, serve, ssod, type Project, type Served, tearDown } from './fixture.js';

let project: Project;
let server: Served;
let home: string;

test.beforeAll(async () => {
  test.setTimeout(15 * 60_000);
  project = await makeProject();
  const classes = readdirSync(join(project.root, 'train')).sort();
  const first = readdirSync(join(project.root, 'train', classes[0]!)).sort()[0]!;
  copyFileSync(
    join(project.root, 'train', classes[0]!, first),
    join(project.root, 'train', classes[1]!, `copy-${first}`),
  );
  copyFileSync(join(project.root, 'train', classes[0]!, first), join(project.root, 'inbox', `leak-${first}`));
  ssod(['scan', project.dir]);
  home = freshProfile();
  server = await serve(project.dir, home);
});

test.afterAll(() => tearDown(server, project?.root, home));

test('duplicates: one key keeps the suggested copy and rejects the rest as duplicates', async ({ page }) => {
  await page.goto(server.url);
  await page.getByTestId('nav-duplicates').click();
  const group = page.getByTestId('dup-group').filter({ hasText: 'same image, two classes' });
  await expect(group).toHaveCount(1);
  // The planted copy and leak, beside any identical images the generated project already holds.
  await expect(group.locator('figure').filter({ hasText: 'copy-' })).toHaveCount(1);
  await expect(group.locator('figure').filter({ hasText: 'leak-' })).toHaveCount(1);
  const copies = await group.locator('figure').count();
  await expect(group).toHaveClass(/selected/);
  await page.keyboard.press('k');
  await expect(page.getByTestId('reviewer-dialog')).toBeVisible();
  await page.getByTestId('reviewer-input').fill('e2e-curator');
  await page.getByTestId('reviewer-input').press('Enter');
  await expect(group).toHaveCount(0);
  const events = ssod(['history', project.dir, '--json'])
    .trim()
    .split('\n')
    .flatMap((l) => {
      const v = JSON.parse(l) as unknown;
      return (Array.isArray(v) ? v : [v]) as { action: string; note: string | null; reviewer: string }[];
    });
  const dups = events.filter((e) => e.action === 'reject' && (e.note ?? '').startsWith('duplicate of'));
  expect(dups).toHaveLength(copies - 1);
  expect(dups.every((e) => e.reviewer === 'e2e-curator')).toBe(true);
});

test('the budget panel updates when the number of reviews changes', async ({ page }) => {
  await page.goto(server.url);
  await page.getByTestId('nav-budget').click();
  const input = page.getByTestId('budget-reviews');
  await input.fill('5');
  // Images tied at the threshold's score are flagged together, so "at least N" (the generated project holds
  // byte-identical images, which score the same).
  const flagged = async () => Number(await page.getByTestId('budget-flagged').textContent());
  await expect.poll(flagged).toBeGreaterThanOrEqual(5);
  await expect.poll(flagged).toBeLessThan(20);
  const t5 = await page.getByTestId('budget-threshold').textContent();
  await input.fill('20');
  await expect.poll(flagged).toBeGreaterThanOrEqual(20);
  expect(Number(await page.getByTestId('budget-threshold').textContent())).toBeLessThanOrEqual(Number(t5));
  await input.fill('100000');
  await expect(page.getByTestId('budget-problem')).toContainText('larger than');
  // An audit sample below the threshold; three decisions give an estimate of what the threshold misses.
  await input.fill('5');
  await page.getByTestId('budget-audit').click();
  const items = page.getByTestId('audit-item');
  await expect(items.first()).toBeVisible();
  const drawn = await items.count();
  await items.first().getByRole('button', { name: 'OOD (reject)' }).click();
  if (await page.getByTestId('reviewer-dialog').isVisible()) {
    await page.getByTestId('reviewer-input').fill('e2e-curator');
    await page.getByTestId('reviewer-input').press('Enter');
  }
  await expect(items).toHaveCount(drawn - 1);
  await items.first().getByRole('button', { name: 'Belongs (keep)' }).click();
  await items.first().getByRole('button', { name: 'Belongs (keep)' }).click();
  await expect(items).toHaveCount(drawn - 3);
  await expect(page.getByTestId('budget-result')).toContainText('from 3 audit decisions');
});

test('the map: a lasso around every point lists them all; a lasso around nothing lists none', async ({ page }) => {
  await page.goto(server.url);
  await page.getByTestId('nav-map').click();
  const canvas = page.getByTestId('map-canvas');
  const count = async () =>
    Number(/(\d+) images/.exec((await page.getByTestId('map-count').textContent()) ?? '')?.[1] ?? 0);
  // The layout arrives after the view shows; wait for its points.
  await expect.poll(count).toBeGreaterThan(10);
  const total = await count();
  const box = (await canvas.boundingBox())!;
  const drag = async (corners: [number, number][]) => {
    await page.mouse.move(box.x + corners[0]![0], box.y + corners[0]![1]);
    await page.mouse.down();
    for (const [x, y] of corners.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
    await page.mouse.up();
  };
  const [w, h] = [box.width, box.height];
  await drag([
    [1, 1],
    [w - 1, 1],
    [w - 1, h - 1],
    [1, h - 1],
  ]);
  await expect(page.getByTestId('map-selected')).toHaveText(`${total} selected`);
  await drag([
    [1, 1],
    [6, 1],
    [6, 6],
    [1, 6],
  ]);
  await expect(page.getByTestId('map-selected')).toHaveText('0 selected');
});

test('"more like this" from the detail view', async ({ page }) => {
  await page.goto(server.url);
  await page.getByTestId('nav-review').click();
  await expect(page.getByTestId('grid')).toHaveAttribute('data-ready', 'true');
  await page.locator('[data-testid="tile"][data-index="0"]').click();
  await page.keyboard.press('o');
  await expect(page.getByTestId('detail')).toBeVisible();
  await page.getByTestId('more-like-this').click();
  await expect(page.getByTestId('similar-hit').first()).toBeVisible();
  expect(await page.getByTestId('similar-hit').count()).toBeGreaterThan(0);
});
