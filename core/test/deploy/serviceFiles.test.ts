// The service definitions under deploy/ are checked with the tools their platforms use: the SMF
// manifest against the service_bundle DTD (xmllint --dtdvalid; svccfg validate needs illumos), the
// systemd units with systemd-analyze verify. Each check is shown to catch a broken copy too.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers/tempProject.js';

const DEPLOY = join(REPO_ROOT, 'deploy');
const DTD = join(DEPLOY, 'smf/service_bundle.dtd.1');
const SEARCH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
const which = (cmd: string) => SEARCH.map((d) => join(d, cmd)).find((p) => existsSync(p)) ?? null;

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = which(cmd);
  if (!path) {
    const pkg = cmd === 'xmllint' ? 'libxml2-utils' : 'systemd';
    throw new Error(`cannot run: ${cmd} not found; install it with "apt-get install -y ${pkg}" (Debian); .ci/run does this in CI`);
  }
  return new Promise((resolve) =>
    execFile(path, args, { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

/** xmllint's verdict; the DOCTYPE names the system DTD's illumos path, which is not here (a warning only). */
async function validateManifest(file: string): Promise<string[]> {
  const r = await run('xmllint', ['--noout', '--nonet', '--dtdvalid', DTD, file]);
  const problems = r.stderr.split('\n').filter((l) => /error|does not validate/.test(l));
  if (r.code !== 0 && problems.length === 0) problems.push(`xmllint exited ${r.code}: ${r.stderr}`);
  return problems;
}

/** systemd-analyze verify prints a line for every problem (some with exit 0): any output is one. */
async function verifyUnit(file: string): Promise<string[]> {
  const r = await run('systemd-analyze', ['verify', file]);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  if (r.code !== 0 && lines.length === 0) lines.push(`systemd-analyze exited ${r.code}`);
  return lines;
}

test('the SMF manifest validates against the service_bundle DTD', async () => {
  assert.equal(await validateManifest(join(DEPLOY, 'smf/helios.xml')), []);
});

test('the SMF manifest depends on the network and local file systems, refreshes with SIGHUP, runs the method script', () => {
  const xml = readFileSync(join(DEPLOY, 'smf/helios.xml'), 'utf8');
  assert.match(xml, /<dependency name="network" grouping="require_all"[^>]*>\s*<service_fmri value="svc:\/milestone\/network:default"\/>/);
  assert.match(xml, /<dependency name="filesystem" grouping="require_all"[^>]*>\s*<service_fmri value="svc:\/system\/filesystem\/local:default"\/>/);
  assert.match(xml, /<exec_method type="method" name="refresh" exec=":kill -HUP"/);
  assert.match(xml, /<exec_method type="method" name="start" exec="\/opt\/helios\/lib\/svc\/method\/helios start"/);
  const method = readFileSync(join(DEPLOY, 'smf/helios-method'), 'utf8');
  assert.match(method, /config check --config "\$CONFIG" \|\| exit \$SMF_EXIT_ERR_CONFIG/);
  assert.match(method, /serve --config "\$CONFIG" &/);
});

test('a manifest the DTD refuses is reported (the check can fail)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-smf-'));
  try {
    const bad = readFileSync(join(DEPLOY, 'smf/helios.xml'), 'utf8').replace(' timeout_seconds="60"', '');
    writeFileSync(join(dir, 'bad.xml'), bad);
    const problems = await validateManifest(join(dir, 'bad.xml'));
    assert.ok(problems.some((p) => p.includes('Element exec_method does not carry attribute timeout_seconds')), problems.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the systemd units (control and worker) pass systemd-analyze verify', async () => {
  for (const unit of ['helios.service', 'helios-worker.service']) {
    assert.equal(await verifyUnit(join(DEPLOY, 'systemd', unit)), [], unit);
  }
  const unit = readFileSync(join(DEPLOY, 'systemd/helios.service'), 'utf8');
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  assert.match(unit, /^After=network-online\.target local-fs\.target$/m);
});

test('a unit systemd-analyze objects to is reported (the check can fail)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-unit-'));
  try {
    const bad = readFileSync(join(DEPLOY, 'systemd/helios.service'), 'utf8').replace('Type=simple', 'Type=bogus');
    writeFileSync(join(dir, 'helios.service'), bad);
    const problems = await verifyUnit(join(dir, 'helios.service'));
    assert.ok(problems.some((p) => p.includes('Failed to parse service type')), problems.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
