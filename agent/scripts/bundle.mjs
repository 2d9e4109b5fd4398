// Bundles the agent into ONE file, dist/helios-agent.mjs, runnable by plain `node` with no
// node_modules beside it (what a VM image or cloud-init drop carries). The .proto is embedded as
// protobufjs JSON, since there are no .proto files next to the bundle.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { agentProtoFile } from '@helios-ci/proto';
import protobuf from 'protobufjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = new protobuf.Root();
root.loadSync(agentProtoFile, { keepCase: false });
const protoJson = JSON.stringify(root.toJSON());

const outfile = join(here, 'dist/helios-agent.mjs');
await build({
  entryPoints: [join(here, 'dist/src/cli.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: { __HELIOS_AGENT_PROTO_JSON__: JSON.stringify(protoJson) },
  // Some bundled CommonJS (grpc-js, protobufjs) calls require() for Node built-ins.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __heliosCreateRequire } from 'node:module';\nconst require = __heliosCreateRequire(import.meta.url);" },
});
chmodSync(outfile, 0o755);
