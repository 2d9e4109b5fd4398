/**
 * Issue 10 item 2: the agent's own git work needing the clone credential is done before the first
 * user step, and the credential is gone afterwards. Real AgentService, the bundled agent, and a git
 * smart-HTTP server (`git http-backend`) that refuses every request without the token.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuiltinStep, JobSpec } from '@helios-ci/sdk';
import { startTokenGitServer, waitFor, type TokenGitServer } from '@helios-ci/sdk/testkit';
import { Connection } from '../src/connection.js';
import { git, harness, makeSpec, run, type Harness } from './helpers.js';

const test = suite('clone credential');
const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
/** Every form the credential travels in: raw, and as git's basic-auth header value. */
const FORMS = [TOKEN, Buffer.from(`x-access-token:${TOKEN}`).toString('base64')];

let h: Harness;
let server: TokenGitServer;
let featureSha: string;

test.before(async () => {
  h = await harness();
  // A branch and a tag beside main: refs a checkout step may name.
  git(h.repo.dir, ['checkout', '-q', '-b', 'feature']);
  writeFileSync(join(h.repo.dir, 'README.md'), 'feature\n');
  git(h.repo.dir, ['commit', '-q', '-am', 'three']);
  featureSha = git(h.repo.dir, ['rev-parse', 'HEAD']);
  git(h.repo.dir, ['checkout', '-q', 'main']);
  git(h.repo.dir, ['tag', 'v1', h.repo.firstSha]);
  server = await startTokenGitServer({ 'acme/widget': h.repo.dir }, TOKEN);
});
test.after(async () => {
  await server.close();
  await h.close();
});

function privateSpec(steps: JobSpec['job']['steps'], job: Partial<JobSpec['job']> = {}): JobSpec {
  const spec = makeSpec(h.repo, steps, job);
  spec.repository.cloneUrl = server.urlOf('acme/widget');
  spec.repository.token = TOKEN;
  return spec;
}

function checkoutStep(id: string, w: Record<string, string>): BuiltinStep {
  return { id, name: `Checkout ${id}`, if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'builtin', action: 'checkout', uses: 'actions/checkout@v4', with: w };
}

/** Every file below `dir`, as text (latin1, so binary files are searched byte for byte). */
function allFiles(dir: string): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return allFiles(p);
    return e.isFile() ? [{ path: p, text: readFileSync(p, 'latin1') }] : [];
  });
}

function assertNowhere(what: string, text: string): void {
  for (const form of FORMS) assert.not.ok(text.includes(form), `the clone credential is in ${what}`);
}

/**
 * A background process, started by the first step and left running: until told to stop it dumps
 * the cmdline and environment of the agent and every descendant (tight loop, so short-lived git
 * children of a later checkout are caught) and, now and then, of every process it can see.
 */
const SNOOPER = `import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
const [out, stop, agentPid] = process.argv.slice(2);
const seen = new Set();
const read = (p) => { try { return readFileSync(p, 'latin1'); } catch { return null; } };
const dump = (pid) => {
  const cmd = read('/proc/' + pid + '/cmdline');
  const env = read('/proc/' + pid + '/environ');
  if (cmd === null && env === null) return;
  const key = pid + '\\0' + cmd + '\\0' + env;
  if (seen.has(key)) return;
  seen.add(key);
  appendFileSync(out, '== pid ' + pid + '\\ncmdline: ' + (cmd ?? '').split('\\0').join(' ') + '\\n' + (env ?? '').split('\\0').join('\\n') + '\\n');
};
const tree = (pid) => {
  dump(pid);
  for (const c of (read('/proc/' + pid + '/task/' + pid + '/children') ?? '').trim().split(/\\s+/).filter(Boolean)) tree(c);
};
const deadline = Date.now() + 120000;
for (let pass = 0; !existsSync(stop) && Date.now() < deadline; pass++) {
  tree(agentPid);
  if (pass % 500 === 0) for (const p of readdirSync('/proc')) if (/^\\d+$/.test(p)) dump(p);
}
appendFileSync(out, '== snooper done\\n');
`;

test('a background process started by the first step finds the credential nowhere while later checkouts run; the credential was used only before the first step', async () => {
  const snooper = join(h.root, 'snoop.mjs');
  writeFileSync(snooper, SNOOPER);
  const out = join(h.root, 'snooped.txt');
  const stop = join(h.root, 'snoop.stop');
  const copies = join(h.root, 'copies');
  const spec = privateSpec([
    run(`setsid ${process.execPath} ${snooper} ${out} ${stop} $PPID </dev/null >/dev/null 2>&1 &\nfor i in $(seq 200); do [ -s ${out} ] && break; sleep 0.05; done\necho snooping`, { id: 'snoop' }),
    checkoutStep('old', { ref: h.repo.firstSha, path: 'old', 'fetch-depth': '0' }),
    checkoutStep('feat', { ref: 'feature', path: 'feat' }),
    run(
      [
        `touch ${stop}`,
        `for i in $(seq 200); do grep -q 'snooper done' ${out} && break; sleep 0.05; done`,
        `mkdir -p ${copies}`,
        // What the job can reach on disk: the agent's directory (the mirror) and every .git.
        `cp -r "$(dirname "$GITHUB_WORKSPACE")/_agent" ${copies}/agent-dir`,
        `cp -r "$GITHUB_WORKSPACE" ${copies}/workspace`,
        `tr '\\0' '\\n' < /proc/$PPID/environ > ${copies}/agent-environ`,
        `tr '\\0' ' ' < /proc/$PPID/cmdline > ${copies}/agent-cmdline`,
        'env > ' + `${copies}/step-env`,
        'git -C old rev-parse HEAD; git -C old rev-list --count --all; cat feat/README.md; git -C feat rev-parse HEAD',
        'stat -c %a "$(dirname "$GITHUB_WORKSPACE")/_agent"',
        'git config --list --show-origin > ' + `${copies}/git-config-list`,
      ].join('\n'),
      { id: 'search' },
    ),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.lines().join('\n'));
  assert.equal(sink.lines('search'), [h.repo.firstSha, '3', 'feature', featureSha, '700']);

  // The dump is real: it holds the agent, and git processes of the later checkouts (the agent's git
  // environment has GIT_ASKPASS=true), so it would have shown the credential had it been there.
  const snooped = readFileSync(out, 'latin1');
  assert.match(snooped, /cmdline: \S*node \S*helios-agent\.mjs/);
  assert.ok(/cmdline: git fetch[^\n]*\n(?:[^=\n][^\n]*\n)*GIT_ASKPASS=true/.test(snooped), 'the snooper saw a git fetch of a later checkout');
  assertNowhere('what the background process saw of every process (environ, cmdline)', snooped);
  const files = allFiles(copies);
  assert.ok(files.some((f) => f.path.endsWith(join('agent-dir', 'mirror.git', 'config'))), 'the mirror was copied');
  assert.ok(files.some((f) => f.path.endsWith(join('workspace', '.git', 'config'))), 'the workspace .git was copied');
  for (const f of files) assertNowhere(f.path, f.text);
  const mirrorConfig = files.find((f) => f.path.endsWith(join('mirror.git', 'config')))!.text;
  assert.not.match(mirrorConfig, /remote|url/, 'the mirror has no remote');
  assert.match(files.find((f) => f.path.endsWith(join('workspace', '.git', 'config')))!.text, new RegExp(`url = ${server.urlOf('acme/widget').replace(/[.]/g, '\\.')}\\n`));
  assertNowhere('the job log', sink.allText());

  // The server saw the credential, and only before the first user step started.
  const firstStep = sink.started.find((s) => s.step === 'snoop')!;
  const setupDone = sink.step('__setup');
  assert.ok(server.requests.length >= 2, 'the mirror was fetched over HTTP');
  assert.ok(server.requests.every((r) => r.token === TOKEN && r.status === 200), JSON.stringify(server.requests));
  assert.ok(server.requests.every((r) => r.at <= firstStep.ts && r.at <= setupDone.ts), 'every request with the credential came before the first step');
});

test('after the credential is gone: another literal ref, a tag, a ref from job env, and fetch-depth 0 check out from the mirror', async () => {
  const before = server.requests.length;
  const spec = privateSpec(
    [
      run('echo first', { id: 'first' }),
      checkoutStep('byenv', { ref: '${{ env.BRANCH }}', path: 'byenv' }),
      checkoutStep('tag', { ref: 'v1', path: 'tag' }),
      checkoutStep('sha', { ref: h.repo.firstSha, path: 'sha' }),
      checkoutStep('full', { 'fetch-depth': '0' }),
      run('cat byenv/README.md; cat tag/README.md; git -C sha rev-parse HEAD; git rev-parse HEAD; git rev-list --count HEAD; git branch -r | sort | tr -d " "; git tag', { id: 'show' }),
    ],
    { env: { BRANCH: 'feature' } },
  );
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.lines().join('\n'));
  assert.equal(sink.lines('show'), ['feature', 'first', h.repo.firstSha, h.repo.sha, '2', 'origin/feature', 'origin/main', 'v1']);
  const mine = server.requests.slice(before);
  const firstStep = sink.started.find((e) => e.step === 'first')!;
  assert.ok(mine.length > 0 && mine.every((r) => r.at <= firstStep.ts), 'nothing was fetched from the server once steps ran');
  assertNowhere('the job log', sink.allText());
});

test('a ref known only from a step output fails that checkout, saying why and what to do; so does a ref the repository lacks', async () => {
  const spec = privateSpec([
    run('echo "ref=feature" >> "$GITHUB_OUTPUT"', { id: 'pick' }),
    { ...checkoutStep('late', { ref: '${{ steps.pick.outputs.ref }}', path: 'late' }), continueOnError: true },
    { ...checkoutStep('missing', { ref: 'no-such-branch', path: 'missing' }), continueOnError: true },
    run('test ! -e late/README.md && test ! -e missing/README.md && echo nothing-checked-out', { id: 'after' }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.lines().join('\n'));
  assert.is(sink.step('late').outcome, 'failure');
  assert.is(sink.step('missing').outcome, 'failure');
  assert.equal(sink.lines('after'), ['nothing-checked-out']);
  assert.match(sink.lines('missing').join('\n'), 'actions/checkout: no-such-branch could not be fetched from the repository when the job was set up');
  const message = sink.lines('late').join('\n');
  assert.match(message, 'actions/checkout: feature was not fetched when the job was set up');
  assert.match(message, 'depends on `steps`');
  assert.match(message, 'Give `ref:` as a literal');
  assert.match(sink.lines('__setup').join('\n'), /##\[warning\]actions\/checkout step late: its ref cannot be fetched before the steps run/);
});

test('anyone presenting the job token after setup (a resumed session) gets a spec without the credential', async () => {
  const gate = join(h.root, 'resume.gate');
  const spec = privateSpec([run(`for i in $(seq 600); do [ -e ${gate} ] && break; sleep 0.05; done; echo done`, { id: 'wait' })]);
  let welcomeSpec: JobSpec | null = null;
  const { conclusion } = await h.runJob(spec, {
    onStart: (handle, agent, sink) => {
      void (async () => {
        await waitFor('the first step to start', () => sink.started.some((s) => s.step === 'wait'), 60_000);
        // What a step could do with the agent's job token (it is in the agent's argv here): kill
        // the agent and take over its session.
        agent.child.kill('SIGKILL');
        await agent.exit;
        const conn = new Connection({ endpoint: h.endpoint, token: handle.token, reconnectWindowMs: 10_000, batchBytes: 4096, batchDelayMs: 50, maxUnackedBytes: 1 << 20, diagnostics: () => undefined });
        try {
          welcomeSpec = JSON.parse((await conn.open()).jobSpecJson) as JobSpec;
        } finally {
          conn.close();
          writeFileSync(gate, '');
          handle.cancel('test over');
        }
      })();
    },
  });
  assert.ok(['cancelled', 'errored'].includes(conclusion), conclusion);
  await waitFor('the hijacked Welcome', () => welcomeSpec, 30_000);
  assert.is(welcomeSpec!.repository.sha, spec.repository.sha, 'it is the job');
  assert.is(welcomeSpec!.repository.token, undefined);
  assertNowhere('the Welcome after setup', JSON.stringify(welcomeSpec));
});

test('submodules come without a credential: a public one checks out, a private one fails saying why', async () => {
  // lib: one repository, served privately (token required) and publicly (anonymous).
  const lib = join(h.root, 'lib');
  git(h.root, ['init', '-q', '-b', 'main', lib]);
  writeFileSync(join(lib, 'lib.txt'), 'lib\n');
  git(lib, ['add', '.']);
  git(lib, ['commit', '-q', '-m', 'lib']);
  const libSha = git(lib, ['rev-parse', 'HEAD']);
  const privateLib = await startTokenGitServer({ 'acme/lib': lib }, TOKEN);
  const publicLib = await startTokenGitServer({ 'acme/lib': lib }, null);
  try {
    // Two branches whose commits carry a gitlink to lib (written directly: no fetch needed).
    const withSubmodule = (branch: string, url: string) => {
      git(h.repo.dir, ['checkout', '-q', '-b', branch, 'main']);
      writeFileSync(join(h.repo.dir, '.gitmodules'), `[submodule "lib"]\n\tpath = lib\n\turl = ${url}\n`);
      git(h.repo.dir, ['add', '.gitmodules']);
      git(h.repo.dir, ['update-index', '--add', '--cacheinfo', `160000,${libSha},lib`]);
      git(h.repo.dir, ['commit', '-q', '-m', `submodule for ${branch}`]);
      git(h.repo.dir, ['checkout', '-q', '-f', 'main']);
    };
    withSubmodule('public-sub', publicLib.urlOf('acme/lib'));
    withSubmodule('private-sub', privateLib.urlOf('acme/lib'));
    const spec = privateSpec([
      checkoutStep('pub', { ref: 'public-sub', path: 'pub', submodules: 'true' }),
      { ...checkoutStep('priv', { ref: 'private-sub', path: 'priv', submodules: 'true' }), continueOnError: true },
      run('cat pub/lib/lib.txt', { id: 'show' }),
    ]);
    const { sink, conclusion } = await h.runJob(spec);
    assert.is(conclusion, 'success', sink.lines().join('\n'));
    assert.equal(sink.lines('show'), ['lib']);
    assert.is(sink.step('priv').outcome, 'failure');
    assert.match(sink.lines('priv').join('\n'), 'Private submodules are not supported');
    assert.match(sink.lines('__setup').join('\n'), /##\[warning\]Submodules are fetched by their checkout step .* without a credential/);
    assert.ok(privateLib.requests.length > 0 && privateLib.requests.every((r) => r.token === null && r.status === 401), 'the private submodule was asked for without any credential');
    assertNowhere('the job log', sink.allText());
    assert.ok(publicLib.requests.length > 0 && publicLib.requests.every((r) => r.token === null), 'the public submodule was fetched anonymously');
  } finally {
    await privateLib.close();
    await publicLib.close();
  }
});

test.run();
