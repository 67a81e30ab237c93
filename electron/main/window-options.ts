// The one BrowserWindow's options, kept as data so a test can read them without launching Electron.
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/** The renderer is served from this privileged scheme (never file://), so 'self' in the CSP means just the app. */
export const APP_SCHEME = 'ssod-app';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const satisfies WebPreferences;

export function windowOptions(preloadPath: string, iconPath?: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    title: 'SSOD Audit',
    show: false, // shown on ready-to-show: no white flash
    backgroundColor: '#1e1f24',
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: { ...WEB_PREFERENCES, preload: preloadPath },
  };
}
