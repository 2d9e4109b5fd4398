// Runs after `tsc -b` (scripts/build.mjs):
// 1. replaces tsc's output for the workflow-parser door with an esbuild bundle. @actions/workflow-parser's
//    ESM imports JSON schema files without import attributes, which plain Node rejects; bundling inlines
//    the JSON so production runs on `node` with no loader.
// 2. bundles the web UI's client (core/ui) into dist/src/http/ui/assets (served by `helios serve`, no
//    CDN at run time), after type-checking it against the DOM library.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const core = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(core, 'src/workflow/vendor/workflowParser.ts')],
  outfile: join(core, 'dist/src/workflow/vendor/workflowParser.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // yaml (CommonJS under Node) and @actions/expressions (plain ESM) load fine in Node and are core
  // dependencies; keeping them external lets the engine share one copy with the parser.
  external: ['yaml', '@actions/expressions', '@actions/expressions/*'],
});

const tsc = join(core, '../node_modules/typescript/bin/tsc');
const check = spawnSync(process.execPath, [tsc, '-p', join(core, 'ui/tsconfig.json')], { stdio: 'inherit' });
if (check.status !== 0) process.exit(check.status ?? 1);
const assets = join(core, 'dist/src/http/ui/assets');
await build({
  entryPoints: { app: join(core, 'ui/src/main.ts') },
  outdir: assets,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  sourcemap: false,
  logLevel: 'warning',
  legalComments: 'none',
});
await build({ entryPoints: { app: join(core, 'ui/src/app.css') }, outdir: assets, bundle: true, minify: true, logLevel: 'warning' });
const size = (f) => statSync(join(assets, f)).size;
console.log(`web ui: app.js ${size('app.js')} bytes, app.css ${size('app.css')} bytes (minified)`);
