// Runs after `tsc -b` (scripts/build.mjs):
// 1. replaces tsc's output for the workflow-parser door with an esbuild bundle. @actions/workflow-parser's
//    ESM imports JSON schema files without import attributes, which plain Node rejects; bundling inlines
//    the JSON so production runs on `node` with no loader.
// 2. bundles the web UI's client (core/ui) into dist/src/http/ui/assets (served by `helios serve`, no
//    CDN at run time), after type-checking it against the DOM library.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { agentProtoFile } from '@helios-ci/proto';

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

// 3. bundles the CLI: dist/src/cli/bin.js (what `helios` and every test run) becomes one entry file
//    plus chunks for what only some commands load (`import()`), built from tsc's output of cliEntry.ts.
//    A Node start spends most of `helios run` loading ~700 small ESM files (typebox alone is 248);
//    one file per chunk loads in a fraction of that. Kept out: the sdk and the plugins (one shared
//    copy with the plugins a config loads), better-sqlite3 (native). Every chunk lands beside bin.js,
//    so each module's `import.meta.url` is rewritten to the URL its tsc file has (assets, the plan
//    worker, plugin resolution and package.json are found where they were).
const cliDir = join(core, 'dist/src/cli');
for (const f of readdirSync(cliDir)) if (f.startsWith('bin.') || f.startsWith('chunk-')) rmSync(join(cliDir, f));
const distSrc = join(core, 'dist/src');
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(distSrc + sep)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(cliDir, args.path).split(sep).join('/');
      const url = `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};
const cli = await build({
  entryPoints: { bin: join(cliDir, 'cliEntry.js') },
  outdir: cliDir,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  external: ['@helios-ci/*', 'better-sqlite3'],
  // agent.proto as protobufjs JSON (agent-service/proto.ts): no .proto parsing at start.
  define: { __HELIOS_AGENT_PROTO_JSON__: JSON.stringify(JSON.stringify(new protobuf.Root().loadSync(agentProtoFile, { keepCase: false }).toJSON())) },
  plugins: [keepImportMetaUrl],
  // Bundled CommonJS (grpc-js, tsyringe, koa's dependencies) calls require() for Node built-ins.
  banner: { js: "import { createRequire as __heliosCreateRequire } from 'node:module';\nconst require = __heliosCreateRequire(import.meta.url);" },
});
const entry = join(cliDir, 'bin.js');
writeFileSync(entry, `#!/usr/bin/env node\n${readFileSync(entry, 'utf8').replace(/^#!.*\n/, '')}`);
// HELIOS_BUNDLE_META=FILE: esbuild's metafile (which module went to which chunk), for start-up work.
if (process.env.HELIOS_BUNDLE_META) writeFileSync(process.env.HELIOS_BUNDLE_META, JSON.stringify(cli.metafile));
const outputs = Object.entries(cli.metafile.outputs);
console.log(`cli: ${outputs.length} files, bin.js ${statSync(entry).size} bytes`);
