/**
 * runtime-local's bubblewrap sandbox through the real `helios run` path (kernel, orchestrator, agent
 * over gRPC, real bwrap): a job tries to read the run's SQLite store, the secrets file, the config
 * file and the server's environment (a marker in /proc/<pid>/environ), and leaves daemons behind
 * (`setsid`, and `env -i setsid` which escapes the tracking marker). With `sandbox: required` every
 * read is refused and nothing survives; the same job with `sandbox: off` reads them all and the
 * `env -i` daemon survives, so the sandbox is what does the work. Either way the job (checkout,
 * steps, log streaming, cache and artifact through the agent) succeeds.
 *
 * The scratch directory is NOT under /tmp: the sandbox empties /tmp as a whole, and this test is
 * about the protected paths (data dir, config, secrets file) being hidden on their own.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { requireComponent } from '@helios-ci/sdk/testkit';
import { GitRepo } from '../helpers/gitRepo.js';
import { REPO_ROOT } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';
import { spawnSync } from 'node:child_process';

const bwrapWorks = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', '--unshare-net', 'true']).status === 0;
const test = requireComponent(uvuTest, bwrapWorks ? null : 'bubblewrap (bwrap) is not installed or does not work here (Debian: apt-get install bubblewrap)');

/** Pids whose command line contains `needle`. */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

async function runJob(mode: 'required' | 'off') {
  const base = mkdtempSync(join(REPO_ROOT, 'core/dist/.sandbox-test-'));
  const mark = randomBytes(6).toString('hex');
  // Unique sleep durations: their command lines are how a survivor is found.
  const tracked = `1000.${parseInt(mark.slice(0, 6), 16)}1`;
  const untracked = `1000.${parseInt(mark.slice(0, 6), 16)}2`;
  writeFileSync(join(base, 'secrets.yaml'), `secrets:\n  API_KEY: not-used\n# SECRET_MARK_${mark}\n`, { mode: 0o600 });
  writeFileSync(
    join(base, 'helios.yaml'),
    `# CONFIG_MARK_${mark}\nplugins:\n  local:\n    use: "@helios-ci/runtime-local"\n    config: { sandbox: ${mode} }\n  secrets:\n    use: "@helios-ci/secrets-file"\n    config: { path: secrets.yaml }\n  storage:\n    use: "@helios-ci/storage-dir"\n    config: { path: storage }\n`,
  );
  // helios run keeps its job store in memory; what it keeps on disk is Storage (storage-dir's directory).
  mkdirSync(join(base, 'storage'), { recursive: true });
  writeFileSync(join(base, 'storage', 'probe-marker'), `STORE_MARK_${mark}\n`);
  const probe = (what: string, cmd: string) => `if ${cmd} >/dev/null 2>&1; then echo "PROBE ${what} readable"; else echo "PROBE ${what} refused"; fi`;
  const repo = new GitRepo();
  const workflow = `on: push
jobs:
  probe:
    runs-on: local
    steps:
      - uses: actions/checkout@v4
      - run: |
          cat tracked.txt
          ${probe('store', `grep -q STORE_MARK_${mark} ${base}/storage/probe-marker`)}
          ${probe('secrets', `grep -q SECRET_MARK_${mark} ${base}/secrets.yaml`)}
          ${probe('config', `grep -q CONFIG_MARK_${mark} ${base}/helios.yaml`)}
          ${probe('environ', `grep -q ENV_MARK_${mark} /proc/[0-9]*/environ`)}
          setsid sleep ${tracked} > /dev/null 2>&1 &
          env -i setsid sleep ${untracked} > /dev/null 2>&1 &
          sleep 0.2
          mkdir -p out && echo built > out/f
      - uses: actions/cache@v4
        with:
          path: out
          key: out-\${{ github.sha }}
      - uses: actions/upload-artifact@v4
        with:
          name: out
          path: out/f
`;
  repo.write('.gitignore', '.helios/\n').write('tracked.txt', `checked out ${mark}\n`).write('.github/workflows/ci.yml', workflow).commit('ci');
  // TMPDIR: helios run makes its data dir (and store) under it, in the scratch directory.
  const result = await runHelios(['run', '--config', join(base, 'helios.yaml')], { cwd: repo.dir, env: { TMPDIR: base, [`ENV_MARK_${mark}`]: '1' }, timeoutMs: 120_000 });
  const cleanup = () => {
    repo.cleanup();
    rmSync(base, { recursive: true, force: true });
  };
  return { result, mark, tracked, untracked, cleanup };
}

const probes = (stdout: string) => Object.fromEntries([...stdout.matchAll(/PROBE (\w+) (readable|refused)/g)].map((m) => [m[1], m[2]]));

test('sandbox: required — store, secrets file, config and the server environment are refused; no process survives; the job succeeds', async () => {
  const { result, mark, tracked, untracked, cleanup } = await runJob('required');
  try {
    assert.is(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`checked out ${mark}`), 'checkout and log streaming work in the sandbox');
    assert.equal(probes(result.stdout), { store: 'refused', secrets: 'refused', config: 'refused', environ: 'refused' }, result.stdout);
    assert.match(result.stdout, /Cache saved with key: out-/);
    assert.match(result.stdout, /artifact out \(1 file\)/);
    assert.not.match(result.stderr, /NOT isolated/);
    assert.ok(await until(() => processesWith(`sleep\0${tracked}`).length === 0 && processesWith(`sleep\0${untracked}`).length === 0, 3000), 'no sleep of the job survives, not even the env -i one');
  } finally {
    cleanup();
  }
});

test('sandbox: off — the same job reads them all and its env -i daemon survives (the sandbox is what refuses), with a loud warning', async () => {
  const { result, untracked, tracked, cleanup } = await runJob('off');
  try {
    assert.is(result.code, 0, result.stdout + result.stderr);
    assert.equal(probes(result.stdout), { store: 'readable', secrets: 'readable', config: 'readable', environ: 'readable' }, result.stdout);
    assert.match(result.stderr, /warning: runtime-local local: jobs on this runtime are NOT isolated/);
    assert.ok(await until(() => processesWith(`sleep\0${tracked}`).length === 0, 3000), 'the tracked daemon is killed by its marker');
    const survivors = processesWith(`sleep\0${untracked}`);
    for (const pid of survivors) process.kill(pid, 'SIGKILL');
    assert.is(survivors.length, 1, 'without the sandbox an env -i daemon escapes the job');
  } finally {
    cleanup();
  }
});

test('sandbox: auto with a bwrap that refuses (probed while the kernel builds) — the loud warning names why, and the job still runs', async () => {
  const base = mkdtempSync(join(REPO_ROOT, 'core/dist/.sandbox-test-'));
  const bin = join(base, 'bin');
  mkdirSync(bin);
  // The first line of a refusing bwrap's stderr is the reason given.
  writeFileSync(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\necho "second line" >&2\nexit 1\n', { mode: 0o755 });
  writeFileSync(join(base, 'helios.yaml'), `plugins:\n  local:\n    use: "@helios-ci/runtime-local"\n    config: { sandbox: auto, path: "${bin}:/usr/local/bin:/usr/bin:/bin" }\n`);
  const repo = new GitRepo();
  repo.write('.github/workflows/ci.yml', 'on: push\njobs:\n  hello:\n    runs-on: local\n    steps:\n      - run: echo "unsandboxed $((6 * 7))"\n').commit('ci');
  try {
    const result = await runHelios(['run', '--config', join(base, 'helios.yaml')], { cwd: repo.dir, env: { TMPDIR: base }, timeoutMs: 120_000 });
    assert.is(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /unsandboxed 42/);
    assert.match(result.stderr, `warning: runtime-local local: jobs on this runtime are NOT isolated`);
    assert.match(result.stderr, `(${join(bin, 'bwrap')} does not work here: bwrap: setting up uid map: Permission denied)`);
    assert.not.match(result.stderr, /second line/);
  } finally {
    repo.cleanup();
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
