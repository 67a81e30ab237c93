// Builds the renderer for both hosts: Electron loads it from a custom protocol / file URL, browser mode from
// `ssod serve`. A relative base makes every asset URL work under either.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Resolve paths from this file, not the working directory, so the config works from anywhere.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/^\/([A-Za-z]:)/, '$1');

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte({ configFile: `${here}svelte.config.js` })],
  build: {
    outDir: `${here}dist`,
    emptyOutDir: true,
    target: 'es2022',
    // One small app: a single chunk keeps file:// and custom-protocol loading simple.
    chunkSizeWarningLimit: 1000,
  },
  server: { port: 5173, strictPort: false },
});
