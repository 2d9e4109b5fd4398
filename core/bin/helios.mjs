#!/usr/bin/env node
// The `helios` bin. A committed file, not the built one: npm links bins at install time, and in a
// fresh checkout `npm ci` runs before `npm run build` has made core/dist (npm skips a bin whose
// target does not exist, so `helios` would be missing from node_modules/.bin).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/bin.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('error E_USAGE: @helios-ci/core is not built (no dist/src/cli/bin.js); run "npm run build" in the repository\n');
  process.exit(2);
}
await import(cli.href);
