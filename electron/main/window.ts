// The app's single window. Its options live in window-options.ts; here it is only created and shown.
import { BrowserWindow } from 'electron';
import { APP_ENTRY, windowOptions } from './window-options.js';

export function createWindow(preloadPath: string, iconPath?: string): BrowserWindow {
  const window = new BrowserWindow(windowOptions(preloadPath, iconPath));
  window.once('ready-to-show', () => window.show());
  window.loadURL(APP_ENTRY).catch((error: unknown) => console.error('could not load the app:', error));
  return window;
}
