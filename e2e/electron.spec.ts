// The same app in Electron, where Electron can run. On machines without its binary the test is skipped with
// the reason (printed by playwright.config.ts too).
import { test, expect, _electron } from '@playwright/test';
import { electronBinary } from './hosts.js';

const electron = electronBinary();

test('electron: the app window opens on the projects view', async () => {
  test.skip(!electron.path, `Electron unavailable: ${electron.reason}`);
  const app = await _electron.launch({ executablePath: electron.path!, args: ['.'] });
  try {
    const window = await app.firstWindow();
    await expect(window.getByTestId('nav-projects')).toBeVisible();
    await window.screenshot({ path: 'test-results/screens/electron-projects.png' });
  } finally {
    await app.close();
  }
});
