// What the curation flows read off the review grid: how many images it lists once it has loaded.
import { expect, type Page } from '@playwright/test';

export async function gridTotal(page: Page): Promise<number> {
  await expect(page.getByTestId('grid')).toHaveAttribute('data-ready', 'true');
  return Number(await page.getByTestId('grid').getAttribute('data-total'));
}
