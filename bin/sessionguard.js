#!/usr/bin/env node
// Runs the compiled CLI (npm install compiles it through the `prepare` script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('sessionguard: dist/ is missing; run `npm install` (or `npm run build`) first');
  process.exit(1);
}
await import(main.href);
