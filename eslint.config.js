// One linter, zero warnings. The layering table of docs/architecture.md is enforced here: each folder may
// import only the layers below it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from './renderer/svelte.config.js';

/** Forbid imports of our own layers that a folder must not reach. */
function layer(files, forbidden, extra = []) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbidden.map((dir) => ({
              group: [`**/${dir}/**`, `**/${dir}`],
              message: `layering: this folder may not import ${dir} (see docs/architecture.md)`,
            })),
            ...extra,
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-electron/',
      'renderer/dist/',
      'release/',
      'test-results/',
      'playwright-report/',
      'reports/',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Services implement an async interface; many bodies are synchronous on purpose (SQLite is synchronous).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, svelteConfig },
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  layer(['src/shared/**'], ['db', 'engine', 'scan', 'services', 'rpc', 'server', 'cli', 'electron', 'renderer']),
  layer(['src/db/**'], ['engine', 'scan', 'services', 'rpc', 'server', 'cli', 'electron', 'renderer']),
  layer(['src/scan/**'], ['db', 'engine', 'services', 'rpc', 'server', 'cli', 'electron', 'renderer']),
  layer(
    ['src/engine/**'],
    ['db', 'scan', 'services', 'rpc', 'server', 'cli', 'electron', 'renderer'],
    [
      {
        group: ['better-sqlite3', 'electron', 'svelte', 'svelte/*'],
        message: 'the engine knows nothing of SQLite, Electron or Svelte',
      },
    ],
  ),
  layer(['src/services/**'], ['rpc', 'server', 'cli', 'electron', 'renderer']),
  layer(['src/rpc/**'], ['db', 'engine', 'scan', 'services', 'server', 'cli', 'electron', 'renderer']),
  layer(['src/server/**'], ['db', 'engine', 'scan', 'cli', 'electron', 'renderer']),
  // The CLI is the composition root of browser mode (`ssod serve`), so it may start the server.
  layer(['src/cli/**'], ['db', 'engine', 'scan', 'electron', 'renderer']),
  layer(['electron/main/**'], ['server', 'renderer']),
  layer(['electron/preload/**'], ['db', 'engine', 'scan', 'services', 'server', 'cli', 'renderer']),
  layer(
    ['renderer/**'],
    ['db', 'engine', 'scan', 'services', 'server', 'cli', 'electron'],
    [
      {
        group: ['electron', 'better-sqlite3', 'sharp', '@tensorflow/*', 'node:*'],
        message: 'the renderer runs in a browser sandbox',
      },
    ],
  ),
);
