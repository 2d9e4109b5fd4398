// `npm run demo`: what a newcomer runs first. Builds Helios, then runs the example repository's
// workflows with `helios run` on the embedded defaults: no forge account, no illumos host.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'core/dist/src/cli/bin.js');
const say = (text) => console.log(`\n\x1b[1m▶ ${text}\x1b[0m`);

say('npm run build');
if (spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' }).status !== 0) process.exit(1);

say('helios plugins list   (no helios.yaml: the embedded defaults apply)');
if (spawnSync(process.execPath, [cli, 'plugins', 'list'], { stdio: 'inherit', cwd: root }).status !== 0) process.exit(1);

// The example as a fresh repository, with a secrets file (mode 600, as secrets-file demands).
const work = mkdtempSync(join(tmpdir(), 'helios-demo-'));
const repo = join(work, 'demo-repo');
cpSync(join(root, 'examples/demo-repo'), repo, { recursive: true });
const git = (...args) => execFileSync('git', ['-c', 'user.name=Helios Demo', '-c', 'user.email=demo@example.org', ...args], { cwd: repo, stdio: 'ignore' });
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-qm', 'demo');
const secrets = join(work, 'secrets.yaml');
writeFileSync(secrets, 'secrets:\n  DEMO_TOKEN: demo-s3cr3t-token-value\n');
chmodSync(secrets, 0o600);

say(`cd ${repo} && helios run --secret-file ${secrets}`);
const run = spawnSync(process.execPath, [cli, 'run', '--secret-file', secrets], { stdio: 'inherit', cwd: repo });
rmSync(work, { recursive: true, force: true });
say(run.status === 0 ? 'demo run succeeded (exit 0)' : `demo run failed (exit ${run.status})`);
process.exit(run.status ?? 1);
