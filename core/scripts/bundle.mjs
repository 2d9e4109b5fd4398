// Runs after `tsc -b` (scripts/build.mjs): replaces tsc's output for the workflow-parser door with an
// esbuild bundle. @actions/workflow-parser's ESM imports JSON schema files without import attributes,
// which plain Node rejects; bundling inlines the JSON so production runs on `node` with no loader.
import { build } from 'esbuild';
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
