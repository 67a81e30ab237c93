/// <reference lib="dom" />
// Every view and dialog checked with axe-core (no critical violations) and walked with Tab: every visible
// control must be reachable by keyboard alone.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { useServedProject } from './served-project.js';

const served = useServedProject();

async function noCriticalViolations(page: Page, where: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const critical = result.violations.filter((v) => v.impact === 'critical');
  const described = critical.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(described, `critical accessibility violations on ${where}`).toEqual([]);
  // Less than critical is reported, not failed: the run's annotations list it.
  for (const v of result.violations.filter((x) => x.impact !== 'critical'))
    test
      .info()
      .annotations.push({ type: `axe ${v.impact ?? ''}`, description: `${where}: ${v.id} (${v.nodes.length})` });
}

/**
 * Tab through the page (or the open dialog) and check that every visible, enabled control got focus. Controls
 * are tagged first so the walk can tell them apart.
 */
async function everyControlReachable(page: Page, where: string): Promise<void> {
  const total = await page.evaluate(() => {
    const scope = document.querySelector('[role="dialog"]') ?? document.body;
    const controls = [
      ...scope.querySelectorAll<HTMLElement>(
        'button, input, select, textarea, a[href], [tabindex]:not([tabindex="-1"])',
      ),
    ].filter(
      (el) =>
        !(el as HTMLButtonElement).disabled &&
        el.tabIndex >= 0 &&
        el.getClientRects().length > 0 &&
        getComputedStyle(el).visibility !== 'hidden',
    );
    controls.forEach((el, i) => (el.dataset.kbd = String(i)));
    return controls.length;
  });
  expect(total, `${where} has controls`).toBeGreaterThan(0);
  const reached = new Set<string>();
  for (let i = 0; i < total * 2 + 10; i++) {
    await page.keyboard.press('Tab');
    const tag = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.kbd ?? null);
    if (tag !== null) reached.add(tag);
    if (reached.size === total) break;
  }
  const missed = await page.evaluate(
    (seen) =>
      [...document.querySelectorAll<HTMLElement>('[data-kbd]')]
        .filter((el) => !seen.includes(el.dataset.kbd!))
        .map((el) => el.outerHTML.slice(0, 120)),
    [...reached],
  );
  expect(missed, `controls on ${where} that Tab never reaches`).toEqual([]);
  await page.evaluate(() => document.querySelectorAll('[data-kbd]').forEach((el) => el.removeAttribute('data-kbd')));
}

async function check(page: Page, where: string): Promise<void> {
  await noCriticalViolations(page, where);
  await everyControlReachable(page, where);
}

test('each view and dialog: no critical axe violations, every control reachable by keyboard', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  await page.goto(served.server.url);
  await expect(page.getByTestId('view-review')).toBeVisible();
  await expect(page.getByTestId('grid')).toHaveAttribute('data-ready', 'true');
  await check(page, 'Review');

  await page.locator('[data-testid="tile"][data-index="0"]').dblclick();
  await expect(page.getByTestId('detail-scores')).toBeVisible();
  await check(page, 'Review, detail open');
  await page.getByTestId('detail-close').click();

  // Every view the navigation offers, including ones added after this test was written.
  const views = await page
    .locator('nav [data-testid^="nav-"]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-testid')!.slice(4)).filter((v) => v !== 'review'));
  expect(views.length).toBeGreaterThanOrEqual(5);
  for (const view of views) {
    await page.getByTestId(`nav-${view}`).click();
    await expect(page.getByTestId(`nav-${view}`)).toHaveAttribute('aria-current', 'page');
    await expect(page.locator('main > *').first()).toBeVisible();
    await page.screenshot({ path: `test-results/screens/view-${view}.png` });
    await check(page, `the ${view} view`);
  }

  await page.getByTestId('nav-review').click();
  await expect(page.getByTestId('grid')).toHaveAttribute('data-ready', 'true');
  const dialogs: [string, string][] = [
    ['open-shortcuts', 'shortcuts-dialog'],
    ['open-export', 'export-dialog'],
    ['bulk-relabel', 'relabel-dialog'],
  ];
  for (const [opener, dialog] of dialogs) {
    await page.getByTestId(opener).click();
    await expect(page.getByTestId(dialog)).toBeVisible();
    await check(page, dialog);
    // Escape closes every dialog, and focus returns to what opened it.
    await page.keyboard.press('Escape');
    await expect(page.getByTestId(dialog)).toBeHidden();
    await expect(page.getByTestId(opener)).toBeFocused();
  }
  // The reviewer dialog, as the first decision shows it.
  await page.locator('[data-testid="tile"][data-index="0"]').click();
  await page.keyboard.press('k');
  await expect(page.getByTestId('reviewer-dialog')).toBeVisible();
  await check(page, 'reviewer-dialog');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('reviewer-dialog')).toBeHidden();
  await expect(page.locator('[data-testid="tile"][data-index="0"]')).toHaveAttribute('data-decision', '');
});
