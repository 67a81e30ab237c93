// Entry: pick the transport for the host (Electron's preload bridge, else the HTTP bridge of `ssod serve`),
// connect the services' events to the state classes (live-sync.ts), mount the app. Nothing is asked at start:
// a fresh profile lands on the start page.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { createHttpTransport, createIpcTransport, type IpcBridge } from '../../src/rpc/index.js';
import { backendFromTransport, setBackend, type Backend } from './lib/backend.js';
import { jobs } from './state/jobs.svelte.js';
import { connectLive } from './state/live-sync.js';
import { project } from './state/project.svelte.js';
import { applyTheme, settings } from './state/settings.svelte.js';
import { ui } from './state/ui.svelte.js';

interface HostBridge extends IpcBridge {
  /** Native folder dialog, when the Electron shell offers one. */
  pickFolder?: () => Promise<string | null>;
}

async function chooseBackend(): Promise<Backend> {
  const bridge = (window as unknown as { ssod?: HostBridge }).ssod;
  if (bridge)
    return backendFromTransport(createIpcTransport(bridge), 'electron', bridge.pickFolder?.bind(bridge) ?? null);
  // Dev only (`vite --config renderer/vite.config.ts`, then ?fake): generated rows, no server. Tree-shaken away
  // from production builds.
  if (import.meta.env.DEV && new URLSearchParams(location.search).has('fake')) {
    const { createFakeBackend } = await import('./dev/fake-backend.js');
    return createFakeBackend(Number(new URLSearchParams(location.search).get('fake')) || 2000);
  }
  return backendFromTransport(createHttpTransport(''), 'browser');
}

async function start(): Promise<void> {
  applyTheme('system');
  const backend = await chooseBackend();
  setBackend(backend);
  connectLive(backend);
  mount(App, { target: document.getElementById('app')! });
  const loaded = settings.load();
  const running = jobs.sync();
  await project.load();
  if (project.info && ui.view === 'projects') ui.go('review');
  await Promise.all([loaded, running]);
}

void start();
