// Builds every workspace: `tsc -b` (type check + emit), then each package's own bundling step
// (`<package>/scripts/bundle.mjs`, run after tsc so a bundle can replace a tsc-emitted file), then
// marks every `bin` target executable (tsc writes 0644; npm links node_modules/.bin/helios to the
// built file at install, before it exists, so the mode must come from the build).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args, cwd = root) => {
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${args.join(' ')} failed in ${cwd} (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  return Date.now() - started;
};

// Two invocations on purpose: the sdk declares @helios-ci/core as an (optional) peer, and tsc resolves
// peers while it builds the sdk; in a clean checkout core has no .d.ts yet, and tsc -b keeps that
// failed resolution for the rest of the invocation, so agent and plugins would not find core's types.
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const tscMs = run([tsc, '-b', 'core']) + run([tsc, '-b']);
console.log(`build: tsc -b done in ${tscMs} ms`);
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
const dirs = workspaces.flatMap((w) => {
  if (!w.endsWith('/*')) return [w];
  const base = w.slice(0, -2);
  return existsSync(join(root, base)) ? (listDirs(join(root, base)).map((d) => `${base}/${d}`)) : [];
});
function listDirs(dir) {
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
}
for (const dir of dirs) {
  const script = join(root, dir, 'scripts/bundle.mjs');
  if (existsSync(script)) console.log(`build: bundled ${dir} in ${run([script], join(root, dir))} ms`);
}
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const bin of bins) {
    const target = join(root, dir, bin);
    if (!existsSync(target)) {
      console.error(`build: ${dir}/package.json names bin ${bin}, which the build did not produce`);
      process.exit(1);
    }
    chmodSync(target, 0o755);
  }
}
