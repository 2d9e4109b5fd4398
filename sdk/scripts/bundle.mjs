// Runs after `tsc -b` (scripts/build.mjs): replaces tsc's output of src/typebox.ts (a re-export of
// @sinclair/typebox's `Type`) with a one-file bundle. Every `helios` start loads the sdk (core and each
// plugin import it); TypeBox's ESM build is ~250 modules, which took ~120 ms of CPU to load, the
// bundle ~10 ms. Built from the .ts source, so a tsc that skips an unchanged file leaves no bundle as input.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(sdk, 'src/typebox.ts')],
  outfile: join(sdk, 'dist/src/typebox.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
