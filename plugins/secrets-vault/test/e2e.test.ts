import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { readStoredJobLog } from '@helios-ci/core';
import { CI_PATHS, ROLE_ID, SECRET_ID, standIn } from './helpers.js';
import { checkSuiteRequested, githubHelpers, startServe, waitFor, type CheckRun, type GitHubHelpers, type World } from './githubWorld.js';
import type { VaultStandIn } from './standIn/vaultStandIn.js';

// End to end: the real `helios serve` with forge-github (against the GitHub stand-in) whose App
// key and webhook secret come from the Vault stand-in, and a job using two secrets from different
// template levels. Then the same workflow with secrets-file: only helios.yaml differs.

const DEPLOY_KEY = 'deploy-key-from-repo-level-6f1c';
const NPM_TOKEN = 'npm-token-from-global-level-93ad';

const CI = `name: CI
on: [push, pull_request]
jobs:
  first:
    runs-on: local
    steps:
      - run: |
          echo "deploy=[\${{ secrets.DEPLOY_KEY }}]"
          echo "npm=[\${{ secrets.NPM_TOKEN }}]"
          echo "env copies: $DEPLOY $NPM"
          printf '%s\\n' "$DEPLOY" | rev | rev
        env:
          DEPLOY: \${{ secrets.DEPLOY_KEY }}
          NPM: \${{ secrets.NPM_TOKEN }}
      - run: sleep 3
  second:
    needs: first
    runs-on: local
    steps:
      - run: echo "second deploy=[\${{ secrets.DEPLOY_KEY }}] npm=[\${{ secrets.NPM_TOKEN }}]"
`;

/**
 * helios.yaml: everything but the `secrets:` entry is the same for both backends. The job runs
 * sandboxed where bwrap works: the GitHub stand-in on the host's loopback is cloned through the proxy.
 */
function heliosYaml(w: World, secretsEntry: string): string {
  return `server:
  dataDir: ./data
  publicUrl: http://ci.test
plugins:
${secretsEntry}  local:
    use: "@helios-ci/runtime-local"
    config: { workRoot: ./machines, killGraceMs: 500 }
  github:
    use: "@helios-ci/forge-github"
    config:
      appId: ${w.standIn.appId}
      privateKey: { secret: "github/app#private_key" }
      webhookSecret: { secret: "github/app#webhook_secret" }
      baseUrl: ${w.standIn.apiUrl}
limits: { concurrentJobs: 4, shutdownGraceSeconds: 1, forgeCallTimeoutSeconds: 30, checkUpdateIntervalSeconds: 0.5 }
`;
}

function query<T>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dir, 'data/helios.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const jobsOf = (dir: string) => query<{ id: string; name: string; state: string; reason: string | null }>(dir, 'SELECT id, name, state, reason FROM jobs ORDER BY created_at, rowid');
/** Through the store's reader: a finished job's log is compacted out of log_lines. */
function logOf(dir: string, jobId: string): string[] {
  const db = new Database(join(dir, 'data/helios.db'), { readonly: true, fileMustExist: true });
  try {
    return readStoredJobLog(db, jobId).map((l) => l.text);
  } finally {
    db.close();
  }
}

/** Every regular file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return files(full);
    return e.isFile() ? [full] : [];
  });
}

/** Runs CI for `sha` on a deployment; returns the jobs' masked echo lines and their check runs. */
async function runCi(gh: GitHubHelpers, w: World, dir: string, url: string, sha: string) {
  const res = await gh.post(`${url}/hooks/github`, checkSuiteRequested(gh, w, sha));
  assert.is(res.status, 202);
  const jobs = await waitFor('both jobs to finish', () => {
    const js = jobsOf(dir);
    return js.length === 2 && js.every((j) => ['succeeded', 'failed', 'errored', 'cancelled'].includes(j.state)) && js;
  });
  const ids = new Set(jobs.map((j) => j.id));
  const checks = await waitFor('both checks to complete', () => {
    const cs = w.standIn.runs().filter((r: CheckRun) => ids.has(r.external_id) && r.status === 'completed');
    return cs.length === 2 && cs;
  });
  const lines = jobs.flatMap((j) => logOf(dir, j.id).map((t) => `${j.name}: ${t}`));
  return { jobs, checks, lines, echoed: lines.filter((l) => /deploy=|npm=|env copies|^first: \*\*\*$/.test(l)) };
}

function assertMasked(r: Awaited<ReturnType<typeof runCi>>): void {
  for (const j of r.jobs) assert.is(j.state, 'succeeded', `${j.name}: ${j.reason}`);
  for (const line of r.lines) for (const v of [DEPLOY_KEY, NPM_TOKEN]) assert.not.ok(line.includes(v), `a log line leaks a secret: ${line}`);
  for (const c of r.checks) {
    const shown = JSON.stringify(c.output);
    for (const v of [DEPLOY_KEY, NPM_TOKEN]) assert.not.ok(shown.includes(v), `check ${c.name} leaks a secret`);
    assert.is(c.conclusion, 'success');
  }
  assert.ok(r.lines.includes('first: deploy=[***]'), r.lines.join('\n'));
  assert.ok(r.lines.includes('first: npm=[***]'));
  assert.ok(r.lines.includes('first: env copies: *** ***'));
  assert.ok(r.lines.includes('second: second deploy=[***] npm=[***]'));
  const first = r.checks.find((c) => c.name === 'CI / first')!;
  assert.match(first.output.text ?? '', /deploy=\[\*\*\*\]/);
}

let gh: GitHubHelpers;
let w: World;
let vaultEchoed: string[] = [];

test.before(async () => {
  gh = await githubHelpers();
  w = await gh.createWorld({ files: { '.github/workflows/ci.yml': CI } });
});

test.after(async () => {
  await w?.cleanup();
});

test('helios serve: the App key comes from Vault, never touches disk or environment; two template levels masked; token expiry mid-run does not fail a job', async () => {
  const v: VaultStandIn = await standIn();
  const dir = mkdtempSync(join(tmpdir(), 'helios-vault-e2e-'));
  const credDir = mkdtempSync(join(tmpdir(), 'helios-vault-cred-'));
  let serve: ReturnType<typeof startServe> | null = null;
  try {
    // Leases of 2 s: the run outlives several of them.
    v.addRole({ roleId: ROLE_ID, secretId: SECRET_ID, ttlSeconds: 2, maxTtlSeconds: 600, paths: CI_PATHS });
    const pem = w.standIn.privateKeyPem;
    v.put('helios/config/github/app', { private_key: pem, webhook_secret: gh.TEST_WEBHOOK_SECRET });
    v.put('ci/acme/widget/DEPLOY_KEY', { value: DEPLOY_KEY });
    v.put('ci/_global/NPM_TOKEN', { value: NPM_TOKEN });
    const secretIdFile = join(credDir, 'secret-id');
    writeFileSync(secretIdFile, SECRET_ID, { mode: 0o600 });
    writeFileSync(
      join(dir, 'helios.yaml'),
      heliosYaml(
        w,
        `  secrets:
    use: "@helios-ci/secrets-vault"
    config:
      address: ${v.url}
      auth: { method: approle, roleId: ${ROLE_ID}, secretIdFile: ${secretIdFile} }
      cacheTtlSeconds: 0
`,
      ),
    );
    serve = startServe(dir);
    const url = await serve.url;
    assert.ok(v.count('kv-v2-read', 200) >= 1, 'the App key was read from Vault at start');

    // Renewal is refused once the first renewal went through: the next refresh must log in again.
    const run = runCi(gh, w, dir, url, w.sha);
    await waitFor('a renewal', () => v.count('token-renew-self', 200) >= 1, 30_000);
    v.refuseRenewals = true;
    const r = await run;
    assertMasked(r);
    vaultEchoed = r.echoed;
    assert.ok(v.count('token-renew-self', 403) >= 1, 'a renewal was refused');
    assert.ok(v.count('app-role-login', 200) >= 2, 'AppRole logged in again');
    assert.equal(v.requests.filter((q) => q.expiredToken), [], 'no request went out with an expired token');
    assert.equal(w.standIn.rejections, [], 'GitHub refused nothing');

    // The key (any line of its base64 body) is nowhere on disk under the deployment, nor in serve's environment or output.
    const needles = pem.split('\n').filter((l) => l.length > 40);
    assert.ok(needles.length > 5);
    for (const f of files(dir)) {
      const bytes = readFileSync(f);
      for (const n of needles) assert.not.ok(bytes.includes(n), `${f} (${statSync(f).size} bytes) holds the App key`);
    }
    const environ = readFileSync(`/proc/${serve.child.pid}/environ`);
    for (const n of [...needles, DEPLOY_KEY, NPM_TOKEN]) assert.not.ok(environ.includes(n), 'the environment holds a secret');
    for (const n of [...needles, DEPLOY_KEY, NPM_TOKEN]) assert.not.ok(serve.output().includes(n), 'serve printed a secret');
  } finally {
    await serve?.stop();
    await v.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(credDir, { recursive: true, force: true });
  }
});

test('swapping backends is config only: the same workflow with secrets-file gives the same masked output', async () => {
  assert.ok(vaultEchoed.length >= 4, 'the Vault run ran first');
  const dir = mkdtempSync(join(tmpdir(), 'helios-file-e2e-'));
  let serve: ReturnType<typeof startServe> | null = null;
  try {
    const secrets = { config: { 'github/app#private_key': w.standIn.privateKeyPem, 'github/app#webhook_secret': gh.TEST_WEBHOOK_SECRET }, secrets: { NPM_TOKEN }, repos: { 'acme/widget': { DEPLOY_KEY } } };
    writeFileSync(join(dir, 'secrets.yaml'), JSON.stringify(secrets), { mode: 0o600 });
    writeFileSync(join(dir, 'helios.yaml'), heliosYaml(w, `  secrets:\n    use: "@helios-ci/secrets-file"\n    config: { path: secrets.yaml }\n`));
    serve = startServe(dir);
    const url = await serve.url;
    const r = await runCi(gh, w, dir, url, w.sha);
    assertMasked(r);
    assert.equal(r.echoed, vaultEchoed);
  } finally {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
