/**
 * Remote actions end to end: the real AgentService with a DirActionTreeSource, the bundled agent
 * process, the machine's real `node`. Plans are built here as the planner makes them (node-action
 * steps, composites with `action` set).
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompositeStep, NodeActionStep, RemoteActionRef } from '@helios-ci/sdk';
import { DirActionTreeSource } from './dirActionTreeSource.js';
import { harness, makeSpec, run, type Harness } from './helpers.js';

const sha = (seed: string) => createHash('sha1').update(seed).digest('hex');
const HELLO: RemoteActionRef = { repo: 'acme/hello-action', path: '', ref: 'v1', sha: sha('hello') };
const TOOLS: RemoteActionRef = { repo: 'acme/tools', path: 'greet', ref: 'main', sha: sha('tools') };
const CORE: RemoteActionRef = { repo: 'acme/core-action', path: '', ref: 'v2', sha: sha('core') };
const ESCAPING: RemoteActionRef = { repo: 'evil/escape', path: '', ref: 'v1', sha: sha('escape') };
const REPO_NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '../../../node_modules');

function write(dir: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A node20 action with pre/main/post that talks back only through the GITHUB_* files (plain fs). */
const helloFiles = {
  'action.yml': 'name: hello\nruns:\n  using: node20\n  pre: pre.js\n  main: main.js\n  post: post.js\n',
  'pre.js': `const fs = require('node:fs');
fs.appendFileSync(process.env.GITHUB_STATE, 'pre_ran=yes\\n');
console.log('pre: who=' + process.env.INPUT_WHO + ' greeting=' + process.env.INPUT_GREETING);
`,
  'main.js': `const fs = require('node:fs');
const e = process.env;
console.log('main: ' + e.INPUT_GREETING + ', ' + e.INPUT_WHO + '! pre_ran=' + (e.STATE_pre_ran || ''));
console.log('spaced input: ' + (e.INPUT_MY_INPUT || ''));
console.log('env: ' + ['GITHUB_ACTION_REPOSITORY', 'GITHUB_ACTION_REF', 'RUNNER_ENVIRONMENT', 'RUNNER_OS'].map((k) => k + '=' + e[k]).join(' '));
console.log('dirs: tool=' + e.RUNNER_TOOL_CACHE + ' temp=' + e.RUNNER_TEMP + ' name=' + (e.RUNNER_NAME ? 'set' : 'unset') + ' arch=' + (e.RUNNER_ARCH ? 'set' : 'unset') + ' cwd-is-workspace=' + (process.cwd() === e.GITHUB_WORKSPACE));
console.log('::add-mask::' + e.INPUT_WHO + '-token');
console.log('masked: ' + e.INPUT_WHO + '-token');
fs.appendFileSync(e.GITHUB_OUTPUT, 'shout=' + e.INPUT_GREETING.toUpperCase() + '\\n');
fs.appendFileSync(e.GITHUB_STATE, 'main_said=' + e.INPUT_GREETING + '\\n');
fs.appendFileSync(e.GITHUB_ENV, 'FROM_ACTION=yes\\n');
if (e.INPUT_FAIL === 'true') { console.log('failing on purpose'); process.exit(7); }
`,
  'post.js': `console.log('post ' + (process.env.INPUT_LABEL || '') + ': main_said=' + (process.env.STATE_main_said || '') + ' pre_ran=' + (process.env.STATE_pre_ran || ''));
`,
};

let counter = 0;
function nodeAction(id: string, action: RemoteActionRef, withMap: Record<string, string>, extra: Partial<NodeActionStep> = {}): NodeActionStep {
  counter++;
  const uses = `${action.repo}${action.path ? `/${action.path}` : ''}@${action.ref}`;
  return {
    id, name: `Run ${uses}`, if: null, env: {}, continueOnError: false, timeoutMinutes: null,
    kind: 'node-action', uses, action, using: 'node20', main: 'main.js', pre: 'pre.js', post: 'post.js',
    with: withMap, inputDefaults: { greeting: 'hello', label: '' }, requiredInputs: ['who'], ...extra,
  };
}

const test = suite('remote actions end to end');
let h: Harness;
let source: DirActionTreeSource;
test.before(async () => {
  source = new DirActionTreeSource();
  h = await harness({ actionTrees: source });
  source.add(HELLO.repo, HELLO.sha, write(join(h.root, 'fixture-hello'), helloFiles));
  source.add(TOOLS.repo, TOOLS.sha, write(join(h.root, 'fixture-tools'), {
    'README.md': 'tools\n',
    'greet/action.yml': 'name: greet\nruns:\n  using: composite\n',
    'greet/scripts/hi.sh': 'echo "hi.sh greets $1 from $(basename "$(dirname "$0")")"\n',
  }));
  const coreDir = write(join(h.root, 'fixture-core'), {
    'action.yml': 'name: core\nruns:\n  using: node20\n  main: main.mjs\n  post: post.mjs\n',
    'main.mjs': `import * as core from '@actions/core';
const who = core.getInput('who', { required: true });
core.saveState('seen', who);
core.setOutput('greeting', 'hi ' + who);
core.setSecret('s3cr3t-value');
console.log('leak? s3cr3t-value');
core.exportVariable('CORE_VAR', 'exported');
core.addPath('/opt/fake-tool/bin');
`,
    'post.mjs': `import * as core from '@actions/core';
console.log('post state=' + core.getState('seen'));
`,
  });
  // Actions ship their node_modules in the tree: the real @actions/core and its dependencies, copied.
  for (const pkg of ['@actions/core', '@actions/exec', '@actions/io', '@actions/http-client', 'tunnel', 'undici']) {
    cpSync(join(REPO_NODE_MODULES, pkg), join(coreDir, 'node_modules', pkg), { recursive: true, dereference: true });
  }
  source.add(CORE.repo, CORE.sha, coreDir);
  const evil = write(join(h.root, 'fixture-evil'), { 'main.js': 'console.log("should never run")\n' });
  symlinkSync('/etc', join(evil, 'etc-link'));
  source.add(ESCAPING.repo, ESCAPING.sha, evil);
});
test.after(async () => {
  await h.close();
});

test('pre, main and post: inputs (default, required, spaced), state, outputs, env, masking', async () => {
  const toolCache = join(h.root, 'host-tool-cache');
  const spec = makeSpec(h.repo, [
    nodeAction('hello', HELLO, { who: 'world', 'my input': 'spaced', label: '${{ github.ref }}' }),
    run('echo "shout=${{ steps.hello.outputs.shout }} env=$FROM_ACTION"', { id: 'after' }),
  ]);
  const { sink, conclusion } = await h.runJob(spec, { agentArgs: ['--tool-cache', toolCache] });
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(sink.started.map((s) => s.step), ['__setup', '__pre_hello', 'hello', 'after', '__post_hello']);
  const short = HELLO.sha.slice(0, 7);
  assert.is(sink.started.find((s) => s.step === 'hello')?.name, `Run acme/hello-action@v1 (${short})`);
  assert.ok(sink.lines('__setup').some((l) => l.startsWith(`Fetched action acme/hello-action@${short}`)), sink.lines('__setup').join('\n'));
  assert.equal(sink.lines('__pre_hello'), [`Pre acme/hello-action@v1 (acme/hello-action@${short}, ${HELLO.sha})`, 'pre: who=world greeting=hello']);
  const lines = sink.lines('hello');
  assert.equal(lines.slice(0, 4), [
    `Run acme/hello-action@v1 (acme/hello-action@${short}, ${HELLO.sha})`,
    'main: hello, world! pre_ran=yes',
    'spaced input: spaced',
    'env: GITHUB_ACTION_REPOSITORY=acme/hello-action GITHUB_ACTION_REF=v1 RUNNER_ENVIRONMENT=self-hosted RUNNER_OS=Linux',
  ]);
  assert.ok(lines[4]!.startsWith(`dirs: tool=${toolCache} temp=/`), lines[4]);
  assert.ok(lines[4]!.endsWith('/_temp name=set arch=set cwd-is-workspace=true'), lines[4]);
  assert.equal(lines.slice(5), ['masked: ***']);
  assert.equal(sink.step('hello').outputs, { shout: 'HELLO' });
  assert.equal(sink.lines('after'), ['shout=HELLO env=yes']);
  assert.equal(sink.lines('__post_hello').slice(1), ['post refs/heads/main: main_said=hello pre_ran=yes']);
  assert.is(sink.step('__post_hello').conclusion, 'success');
});

test('post steps run in reverse order after a failed step; post-if false skips', async () => {
  const before = source.requests.length;
  const spec = makeSpec(h.repo, [
    nodeAction('first', HELLO, { who: 'a', label: 'first' }, { pre: undefined }),
    nodeAction('second', HELLO, { who: 'b', label: 'second' }, { pre: undefined, postIf: 'false' }),
    nodeAction('third', HELLO, { who: 'c', label: 'third', fail: 'true' }, { pre: undefined }),
    run('echo should-not-run', { id: 'later' }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'failure');
  assert.equal(source.requests.length - before, 1, 'one fetch per sha, however many steps use it');
  assert.equal([sink.step('third').outcome, sink.step('third').exit], ['failure', 7]);
  assert.ok(sink.lines('third').includes('##[error]Node action main (main.js) completed with exit code 7.'), sink.lines('third').join('\n'));
  assert.is(sink.step('later').conclusion, 'skipped');
  assert.equal(sink.started.map((s) => s.step).slice(-3), ['__post_third', '__post_second', '__post_first']);
  assert.is(sink.step('__post_second').conclusion, 'skipped');
  assert.equal(sink.lines('__post_second'), []);
  assert.equal(sink.lines('__post_third').slice(1), ['post third: main_said=hello pre_ran=']);
  assert.equal(sink.lines('__post_first').slice(1), ['post first: main_said=hello pre_ran=']);
});

test('a missing required input and an image without node fail their steps clearly', async () => {
  const spec = makeSpec(h.repo, [
    nodeAction('noinput', HELLO, { greeting: 'hey' }, { pre: undefined, post: undefined, continueOnError: true }),
    nodeAction('nonode', HELLO, { who: 'x' }, { pre: undefined, post: undefined, env: { PATH: '/nonexistent' } }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'failure');
  assert.is(sink.step('noinput').outcome, 'failure');
  assert.ok(sink.lines('noinput').includes('##[error]acme/hello-action@v1: required input "who" not supplied; add it under `with:` of this step'), sink.lines('noinput').join('\n'));
  assert.is(sink.step('nonode').outcome, 'failure');
  assert.ok(
    sink.lines('nonode').some((l) => l.includes("needs Node.js, but there is no `node` on the job's PATH; use an image that has Node 20 or newer")),
    sink.lines('nonode').join('\n'),
  );
});

test('a remote composite reads a script from its action path and runs a nested node action', async () => {
  const composite: CompositeStep = {
    id: 'setup', name: 'Run acme/tools/greet@main', if: null, env: {}, continueOnError: false, timeoutMinutes: null,
    kind: 'composite', uses: 'acme/tools/greet@main', action: TOOLS, with: { name: 'mona' }, inputDefaults: { name: 'nobody' },
    outputs: { said: '${{ steps.inner.outputs.shout }}' },
    steps: [
      run('bash "$GITHUB_ACTION_PATH/scripts/hi.sh" "${{ inputs.name }}"', { id: 'hi' }),
      run('[ "${{ github.action_path }}" = "$GITHUB_ACTION_PATH" ] && echo "path-ok repo=$GITHUB_ACTION_REPOSITORY ref=$GITHUB_ACTION_REF"', { id: 'where' }),
      nodeAction('inner', HELLO, { who: '${{ inputs.name }}', greeting: 'howdy', label: 'inner' }),
    ],
  };
  const spec = makeSpec(h.repo, [composite, run('echo "said=${{ steps.setup.outputs.said }}"', { id: 'show' })]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(sink.started.map((s) => s.step), ['__setup', 'setup', 'setup/hi', 'setup/where', 'setup/inner', 'show', '__post_setup/inner']);
  assert.is(sink.started.find((s) => s.step === 'setup')?.name, `Run acme/tools/greet@main (${TOOLS.sha.slice(0, 7)})`);
  assert.equal(sink.lines('setup/hi'), ['hi.sh greets mona from scripts']);
  assert.equal(sink.lines('setup/where'), ['path-ok repo=acme/tools ref=main']);
  // Nested in a composite, the action's pre runs in its own step, right before main.
  assert.ok(sink.lines('setup/inner').includes('pre: who=mona greeting=howdy'), sink.lines('setup/inner').join('\n'));
  assert.ok(sink.lines('setup/inner').includes('main: howdy, mona! pre_ran=yes'));
  assert.equal(sink.lines('show'), ['said=HOWDY']);
  assert.equal(sink.lines('__post_setup/inner').slice(1), ['post inner: main_said=howdy pre_ran=yes']);
});

test('@actions/core as the client: getInput, saveState/getState, setOutput, setSecret, exportVariable, addPath', async () => {
  const spec = makeSpec(h.repo, [
    nodeAction('core', CORE, { who: 'octo' }, { main: 'main.mjs', pre: undefined, post: 'post.mjs', inputDefaults: {} }),
    run('echo "${{ steps.core.outputs.greeting }} $CORE_VAR"; case ":$PATH:" in *:/opt/fake-tool/bin:*) echo path-added;; esac', { id: 'check' }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.ok(sink.lines('core').includes('leak? ***'), sink.lines('core').join('\n'));
  assert.equal(sink.step('core').outputs, { greeting: 'hi octo' });
  assert.equal(sink.lines('check'), ['hi octo exported', 'path-added']);
  assert.equal(sink.lines('__post_core').slice(1), ['post state=octo']);
});

test('pre-if false skips the pre (its state never exists); the main still runs', async () => {
  const spec = makeSpec(h.repo, [nodeAction('hello', HELLO, { who: 'x' }, { preIf: "runner.os == 'Plan9'", post: undefined })]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.is(sink.step('__pre_hello').conclusion, 'skipped');
  assert.equal(sink.lines('__pre_hello'), []);
  assert.ok(sink.lines('hello').includes('main: hello, x! pre_ran='), sink.lines('hello').join('\n'));
});

test('a tree with an absolute link target is refused at set-up, naming the action; no step runs', async () => {
  const spec = makeSpec(h.repo, [nodeAction('evil', ESCAPING, { who: 'x' }, { pre: undefined, post: undefined })]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'failure');
  assert.is(sink.step('__setup').conclusion, 'failure');
  assert.ok(sink.lines('__setup').some((l) => l.startsWith(`##[error]the files of action evil/escape@${ESCAPING.sha} cannot be unpacked:`)), sink.lines('__setup').join('\n'));
  assert.is(sink.step('evil').conclusion, 'skipped');
  assert.not.ok(sink.allText().includes('should never run'));
});

test.run();
