#!/usr/bin/env node
// The `ssod` command. Loads the TypeScript sources through tsx so an installed checkout runs without a build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
