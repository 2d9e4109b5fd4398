// `npm run demo`: what a newcomer runs first. Builds, shows the configured plugins on the embedded
// defaults, starts `helios serve`, asks /healthz, and stops it again with SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'core/dist/src/cli/bin.js');
const say = (text) => console.log(`\n\x1b[1m▶ ${text}\x1b[0m`);

say('npm run build');
if (spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' }).status !== 0) process.exit(1);

say('helios plugins list   (no helios.yaml: the embedded defaults apply)');
if (spawnSync(process.execPath, [cli, 'plugins', 'list'], { stdio: 'inherit', cwd: root }).status !== 0) process.exit(1);

say('helios serve --listen 127.0.0.1:0');
const serve = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const url = await new Promise((resolve, reject) => {
  serve.stdout.on('data', (d) => {
    process.stdout.write(d);
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  serve.on('exit', (code) => reject(new Error(`helios serve exited with ${code}`)));
});
say(`GET ${url}/healthz`);
const res = await fetch(`${url}/healthz`);
console.log(res.status, JSON.stringify(await res.json()));
say('SIGTERM → graceful stop');
serve.kill('SIGTERM');
const code = await new Promise((resolve) => serve.on('exit', resolve));
process.exit(res.status === 200 && code === 0 ? 0 : 1);
