import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { GitRepo } from '../helpers/gitRepo.js';
import { CLI } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

const CI = `name: CI
on: push
jobs:
  build:
    name: build \${{ matrix.os }}-\${{ matrix.n }}
    runs-on: local
    strategy:
      matrix:
        os: [alpha, beta]
        n: [1, 2]
        exclude:
          - os: beta
            n: 2
    outputs:
      word: \${{ steps.out.outputs.word }}
    steps:
      - uses: actions/checkout@v4
      - run: test -f src/main.c
      - id: out
        run: echo "word=built-\${{ matrix.os }}" >> "$GITHUB_OUTPUT"
  lint:
    runs-on: local
    outputs:
      ok: \${{ steps.l.outputs.ok }}
    steps:
      - id: l
        run: echo "ok=yes" >> "$GITHUB_OUTPUT"
  package:
    needs: [build, lint]
    runs-on: local
    steps:
      - run: |
          test "\${{ needs.lint.outputs.ok }}" = yes
          case "\${{ needs.build.outputs.word }}" in built-*) echo "word ok";; *) exit 3;; esac
`;

const FAILING = `name: Fails
on: push
jobs:
  test:
    runs-on: local
    steps:
      - run: echo "token is \${{ secrets.DEPLOY_TOKEN }}"
      - run: |
          echo "::error file=src/main.c,line=7,col=3::undefined reference to frob"
          exit 2
      - run: echo "never printed"
      - if: always()
        run: echo "cleanup ran"
  deploy:
    needs: test
    runs-on: local
    steps:
      - run: echo deploying
  report:
    needs: test
    if: always()
    runs-on: local
    steps:
      - run: echo "test was \${{ needs.test.result }}"
`;

test('matrix + needs + outputs: the whole run succeeds and the JSON record says so', async () => {
  const repo = new GitRepo();
  try {
    repo.write('src/main.c', 'int main(void) { return 0; }\n').write('.github/workflows/ci.yml', CI).commit('ci');
    const r = await runHelios(['run', '--json'], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.is(r.code, 0, r.stderr + r.stdout);
    const run = JSON.parse(r.stdout);
    assert.is(run.conclusion, 'success');
    const names = run.jobs.map((j: { name: string }) => j.name).sort();
    assert.equal(names, ['build alpha-1', 'build alpha-2', 'build beta-1', 'lint', 'package']);
    for (const job of run.jobs) {
      assert.is(job.state, 'succeeded', `${job.name}: ${job.reason}`);
      assert.ok(job.steps.every((s: { conclusion: string }) => s.conclusion === 'success'));
    }
    const build = run.jobs.find((j: { name: string }) => j.name === 'build alpha-1');
    assert.equal(build.matrix, { os: 'alpha', n: 1 });
    assert.equal(build.outputs, { word: 'built-alpha' });
    assert.is(build.steps.length, 3);
    assert.ok(typeof run.durationMs === 'number');
  } finally {
    repo.cleanup();
  }
});

test('a failing step fails its job, skips what needs it, runs if: always() jobs; secrets are masked', async () => {
  const repo = new GitRepo();
  try {
    repo.write('.github/workflows/fails.yml', FAILING).commit('fails');
    const secrets = join(repo.dir, '..', `secrets-${Date.now()}.yaml`);
    writeFileSync(secrets, 'secrets:\n  DEPLOY_TOKEN: s3cr3t-deploy-token\n');
    chmodSync(secrets, 0o600);
    const r = await runHelios(['run', '--secret-file', secrets], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.is(r.code, 1, r.stdout);
    assert.not.ok(r.stdout.includes('s3cr3t-deploy-token'), 'the secret leaked into the output');
    assert.match(r.stdout, /\[test\] token is \*\*\*/);
    assert.match(r.stdout, /\[test\] cleanup ran/);
    assert.not.match(r.stdout, /^\[test\] never printed$/m);
    assert.match(r.stdout, /\[report\] test was failure/);
    assert.not.match(r.stdout, /^\[deploy\] deploying$/m);
    assert.match(r.stdout, /── test: failed .* at step 2: /);
    assert.match(r.stdout, /failure: src\/main\.c:7:3: undefined reference to frob/);

    const json = await runHelios(['run', '--json', '--secret-file', secrets], { cwd: repo.dir, timeoutMs: 90_000 });
    const run = JSON.parse(json.stdout);
    assert.is(run.conclusion, 'failure');
    const byName = Object.fromEntries(run.jobs.map((j: { name: string }) => [j.name, j]));
    assert.is(byName.test.state, 'failed');
    assert.equal(byName.test.steps.map((s: { conclusion: string }) => s.conclusion), ['success', 'failure', 'skipped', 'success']);
    assert.is(byName.deploy.state, 'skipped');
    assert.is(byName.report.state, 'succeeded');
    assert.equal(byName.test.annotations, [{ level: 'failure', message: 'undefined reference to frob', file: 'src/main.c', line: 7, col: 3 }]);
  } finally {
    repo.cleanup();
  }
});

const LEAKY_ANNOTATION = `name: Leaky
on: push
jobs:
  test:
    runs-on: local
    steps:
      - name: annotate
        run: |
          echo "::add-mask::masked-by-step-value"
          echo "::error file=src/\${{ secrets.DEPLOY_TOKEN }}.c,title=t-\${{ secrets.DEPLOY_TOKEN }},line=2::m-\${{ secrets.DEPLOY_TOKEN }}"
          echo "::warning file=lib/masked-by-step-value.c,title=masked-by-step-value::see masked-by-step-value"
`;

test('annotation file, title and message are masked everywhere (--json, the store)', async () => {
  const repo = new GitRepo();
  const secrets = join(repo.dir, '..', `secrets-${Date.now()}-ann.yaml`);
  try {
    repo.write('.github/workflows/leaky.yml', LEAKY_ANNOTATION).commit('leaky');
    writeFileSync(secrets, 'secrets:\n  DEPLOY_TOKEN: s3cr3t-deploy-token\n');
    chmodSync(secrets, 0o600);
    const json = await runHelios(['run', '--json', '--secret-file', secrets], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.is(json.code, 0, json.stderr + json.stdout);
    for (const leak of ['s3cr3t-deploy-token', 'masked-by-step-value']) {
      assert.not.ok(json.stdout.includes(leak), `${leak} leaked into --json: ${json.stdout}`);
      assert.not.ok(json.stderr.includes(leak), `${leak} leaked into stderr`);
    }
    const run = JSON.parse(json.stdout);
    assert.equal(run.jobs[0].annotations, [
      { level: 'failure', message: 'm-***', title: 't-***', file: 'src/***.c', line: 2 },
      { level: 'warning', message: 'see ***', title: '***', file: 'lib/***.c' },
    ]);
  } finally {
    rmSync(secrets, { force: true });
    repo.cleanup();
  }
});

test('on the embedded defaults the job runs at the CLI\'s own priority; a config\'s jobNice still applies', async () => {
  const own = getPriority();
  const want = (nice: number) => `name: Nice
on: push
jobs:
  nice:
    runs-on: local
    steps:
      - run: test "$(nice)" = ${nice} || { echo "step nice $(nice), wanted ${nice}"; exit 1; }
`;
  const repo = new GitRepo();
  try {
    // A one-shot run has no server to keep responsive: the job is what the user waits for.
    repo.write('.github/workflows/nice.yml', want(own)).commit('own priority');
    const embedded = await runHelios(['run', '--json'], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.is(embedded.code, 0, embedded.stderr + embedded.stdout);
    const lowered = Math.max(own, 7);
    repo.write('.github/workflows/nice.yml', want(lowered)).commit('jobNice 7');
    const config = join(repo.dir, '..', `nice-${process.pid}.yaml`);
    writeFileSync(config, 'plugins:\n  local:\n    use: "@helios-ci/runtime-local"\n    config: { jobNice: 7 }\n');
    try {
      const configured = await runHelios(['run', '--json', '--config', config], { cwd: repo.dir, timeoutMs: 90_000 });
      assert.is(configured.code, 0, configured.stderr + configured.stdout);
    } finally {
      rmSync(config, { force: true });
    }
  } finally {
    repo.cleanup();
  }
});

test('--dirty runs the working tree, --job narrows to a job and what it needs', async () => {
  const repo = new GitRepo();
  try {
    repo.write('src/main.c', 'x\n').write('.github/workflows/ci.yml', CI).commit('ci');
    repo.write('src/extra.txt', 'uncommitted\n');
    repo.write('.github/workflows/ci.yml', CI.replace('test -f src/main.c', 'test -f src/extra.txt'));
    const head = await runHelios(['run', '--json', '--job', 'lint'], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.equal(JSON.parse(head.stdout).jobs.map((j: { name: string }) => j.name), ['lint']);
    const dirty = await runHelios(['run', '--json', '--dirty', '--job', 'build'], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.is(dirty.code, 0, dirty.stderr);
    assert.is(JSON.parse(dirty.stdout).jobs.length, 3);
    // The snapshot left no trace: same HEAD, same index, no leftover refs.
    assert.is(repo.git('status', '--porcelain'), 'M .github/workflows/ci.yml\n?? src/extra.txt'.replace('\n', '\n'));
    assert.is(repo.git('for-each-ref', 'refs/helios'), '');
  } finally {
    repo.cleanup();
  }
});

test('invalid workflows print file:line:col problems and exit 1; outside a repository is a clear error', async () => {
  const repo = new GitRepo();
  try {
    repo.write('.github/workflows/bad.yml', 'on: push\njobs:\n  a:\n    runs-on: local\n    steps:\n      - uses: someone/else@v1\n').commit('bad');
    const r = await runHelios(['run'], { cwd: repo.dir, timeoutMs: 60_000 });
    assert.is(r.code, 1);
    assert.match(r.stderr, /^\.github\/workflows\/bad\.yml:6:\d+: /m);
    assert.match(r.stderr, /helios run: nothing ran: invalid workflows/);
    const outside = await runHelios(['run'], { cwd: '/', timeoutMs: 30_000 });
    assert.is(outside.code, 1);
    assert.match(outside.stderr, /error E_NOT_A_REPOSITORY: \/ is not inside a git repository/);
  } finally {
    repo.cleanup();
  }
});

test('a terminal gets the live tree of jobs and steps, then the failing step\'s log', async () => {
  const repo = new GitRepo();
  try {
    repo.write('.github/workflows/fails.yml', FAILING).commit('fails');
    // `script` runs helios on a pseudo-terminal, as a user's shell would.
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    const out = spawnSync('script', ['-qfec', `${quote(process.execPath)} ${quote(CLI)} run`, '/dev/null'], { cwd: repo.dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: repo.dir, TERM: 'xterm' }, timeout: 90_000 });
    const screen = out.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    assert.match(screen, /✘ test\s+failed/);
    assert.match(screen, /✔ Run echo "token is "\s+\d+ms/);
    assert.match(screen, /✘ Run echo "::error file=src\/main\.c/);
    assert.match(screen, /– deploy\s+skipped/);
    assert.match(screen, /✔ report\s+succeeded/);
    assert.match(screen, /── test: failed \(a step failed\) at step 2: /);
    assert.match(out.stdout, /\x1b\[\d+A\x1b\[J/, 'the tree is redrawn in place');
    assert.not.match(screen, /^\[test\] /m, 'no prefixed log lines on a terminal');
  } finally {
    repo.cleanup();
  }
});

test.run();
