/** Pure pieces of the agent: command parsing, file commands, masking, expressions, config. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { referencedNames } from '../src/expressions.js';
import { splitUserinfo, takeCloneCredential } from '../src/job/cloneCredential.js';
import { gitConfigValue } from '../src/job/gitConfigValue.js';
import { actionInputs, inputEnvName } from '../src/job/steps/nodeActionStep.js';
import { evaluateCondition, hashFiles, interpolate, Masker, parseCommand, parseConfig, parseKeyValueFile, type EvalScope } from '../src/index.js';

const test = suite('agent units');

test('parseCommand: properties, escapes, leading whitespace, non-commands', () => {
  assert.equal(parseCommand('  ::error file=a%2Cb.ts,line=3,title=x%3Ay::m%0An%25'), { name: 'error', properties: { file: 'a,b.ts', line: '3', title: 'x:y' }, message: 'm\nn%' });
  assert.equal(parseCommand('::endgroup::'), { name: 'endgroup', properties: {}, message: '' });
  assert.is(parseCommand('text ::error::x'), null);
  assert.is(parseCommand('::no end'), null);
});

test('parseKeyValueFile: name=value, heredoc, missing delimiter is an error', () => {
  assert.equal(parseKeyValueFile('a=1\nb<<X\nl1\nl2\nX\nc=x=y\n'), { values: { a: '1', b: 'l1\nl2', c: 'x=y' }, error: null });
  assert.match(parseKeyValueFile('b<<X\nnever closed\n').error ?? '', /matching delimiter not found/);
  assert.match(parseKeyValueFile('garbage\n').error ?? '', /invalid line 1/);
});

test('Masker: longest first, multi-line values line by line, short values ignored', () => {
  const m = new Masker();
  m.add('abc');
  m.add('abcdef');
  m.add('l1-secret\nl2-secret\nx');
  assert.is(m.mask('abcdef abc l1-secret l2-secret x'), '*** *** *** *** x');
  assert.is(m.mask('a.c'), 'a.c', 'values are literal, not patterns');
  m.add('a.c');
  assert.is(m.mask('a.c abc'), '*** ***');
});

const scope = (over: Partial<EvalScope> = {}): EvalScope => ({
  contexts: { steps: { s1: { outputs: { v: 'yes' }, outcome: 'success', conclusion: 'success' } }, env: { A: 'x' }, matrix: { os: 'linux' } },
  status: 'success',
  cancelled: false,
  workspace: '/nonexistent',
  ...over,
});

test('conditions: implicit success(), status functions, ${{ }} wrapping', () => {
  assert.ok(evaluateCondition(null, scope()));
  assert.not.ok(evaluateCondition(null, scope({ status: 'failure' })));
  assert.ok(evaluateCondition("steps.s1.outputs.v == 'yes'", scope()));
  assert.not.ok(evaluateCondition("steps.s1.outputs.v == 'yes'", scope({ status: 'failure' })));
  assert.ok(evaluateCondition('${{ failure() }}', scope({ status: 'failure' })));
  assert.ok(evaluateCondition('always()', scope({ cancelled: true })));
  assert.not.ok(evaluateCondition('success()', scope({ cancelled: true })));
  assert.ok(evaluateCondition('cancelled()', scope({ cancelled: true })));
  assert.is(interpolate("v=${{ env.A }} ${{ matrix.os == 'linux' && 'L' || 'O' }} ${{ '}}' }}", scope()), 'v=x L }}');
});

test('hashFiles: globs, negation, empty when nothing matches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-'));
  mkdirSync(join(dir, 'a/b'), { recursive: true });
  writeFileSync(join(dir, 'a/b/x.lock'), '1');
  writeFileSync(join(dir, 'y.lock'), '2');
  const all = hashFiles(dir, ['**/*.lock']);
  assert.match(all, /^[0-9a-f]{64}$/);
  assert.is.not(hashFiles(dir, ['**/*.lock', '!y.lock']), all);
  assert.is(hashFiles(dir, ['*.nope']), '');
  rmSync(dir, { recursive: true });
});

test('parseConfig: flags, bootstrap file, env; clear usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'b.json');
  writeFileSync(file, JSON.stringify({ endpoint: 'ci.example:7000', token: 'from-file' }));
  assert.is(parseConfig(['--bootstrap', file], {}).token, 'from-file');
  assert.is(parseConfig([], { HELIOS_AGENT_ENDPOINT: 'h:1', HELIOS_AGENT_TOKEN: 't' }).endpoint, 'h:1');
  assert.is(parseConfig(['--endpoint=h:2', '--token', 'x'], {}).endpoint, 'h:2');
  assert.throws(() => parseConfig([], {}), /no endpoint/);
  assert.throws(() => parseConfig(['--endpoint', 'h:1'], {}), /no token/);
  assert.throws(() => parseConfig(['--endpoint', 'not an endpoint', '--token', 't'], {}), /not HOST:PORT/);
  assert.throws(() => parseConfig(['--bogus'], {}), /unknown argument/);
  rmSync(dir, { recursive: true });
});


test('output lines are the same however the stream is chunked (straddling lines joined, bulk not copied)', async () => {
  const { OutputPipe, CommandState } = await import('../src/output.js');
  const { SecretMasker } = await import('@helios-ci/sdk/secret-masker');
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let trial = 0; trial < 2000; trial++) {
    const words = Array.from({ length: 1 + rand(8) }, () => ['', 'a', 'bc', 'hello world', 'x'.repeat(rand(30))][rand(5)]!);
    const text = words.join('\n') + (rand(2) ? '\n' : '');
    const got: string[] = [];
    const conn = {
      log(_step: string, _stream: string, data: string | Buffer, count: number) {
        const lines = data.toString().split('\n');
        assert.is(lines.length, count, 'line count sent with the batch');
        got.push(...lines);
      },
      send() {},
    };
    const pipe = new OutputPipe(new CommandState('s', conn as never, new SecretMasker()), 'STDOUT');
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; ) {
      const k = 1 + rand(12);
      pipe.write(bytes.subarray(i, i + k));
      i += k;
    }
    pipe.end();
    const want = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
    assert.equal(got, want, JSON.stringify(text));
  }
});

test('referencedNames: contexts and functions of ${{ }} parts, not properties or string contents', () => {
  const r = referencedNames("v-${{ steps.pick.outputs.ref || format('{0}', env.BRANCH) }}-${{ matrix.os }} ${{ 'github.x' }} ${{ hashFiles('a') }}");
  assert.equal([...r.contexts].sort(), ['env', 'matrix', 'steps']);
  assert.equal([...r.functions].sort(), ['format', 'hashfiles']);
  assert.equal([...referencedNames('plain main').contexts], []);
});

test('gitConfigValue: real git reads back quotes, backslashes, # and ; and spaces unchanged; line breaks refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-gitconfig-'));
  try {
    const values = ['file:///tmp/plain.git', ' file:///a b/"q"\\x#y;z ', 'https://example.org/o/r.git', 'file:///a"b\\c\td', 'x#y'];
    writeFileSync(join(dir, 'config'), values.map((v, i) => `[t]\n\tv${i} = ${gitConfigValue(v)}\n`).join(''));
    values.forEach((v, i) => assert.is(execFileSync('git', ['config', '--file', join(dir, 'config'), '--get', `t.v${i}`], { encoding: 'utf8' }).replace(/\n$/, ''), v));
    assert.is(gitConfigValue('http://127.0.0.1:8080/acme/widget.git'), 'http://127.0.0.1:8080/acme/widget.git', 'plain as git writes it');
    assert.throws(() => gitConfigValue('a\nb'), /line break/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('clone credential: taken out of the spec (token and URL userinfo), URL kept without it', () => {
  assert.equal(splitUserinfo('https://bot:p%40ss@git.example.org/a/b.git'), { url: 'https://git.example.org/a/b.git', userinfo: 'bot:p@ss' });
  assert.equal(splitUserinfo('file:///tmp/x'), { url: 'file:///tmp/x', userinfo: null });
  const spec = { repository: { fullName: 'a/b', cloneUrl: 'https://u:pw@h/a/b.git', token: 'tok', sha: 'x', ref: 'r' } } as unknown as Parameters<typeof takeCloneCredential>[0];
  assert.equal(takeCloneCredential(spec), { url: 'https://h/a/b.git', basic: 'x-access-token:tok' });
  assert.equal(spec.repository, { fullName: 'a/b', cloneUrl: 'https://h/a/b.git', sha: 'x', ref: 'r' });
  assert.not.ok('token' in spec.repository);
});

test('node action inputs: @actions/core env names; `with` over defaults, both evaluated; required names listed', () => {
  assert.is(inputEnvName('my input'), 'INPUT_MY_INPUT');
  assert.is(inputEnvName('fetch-depth'), 'INPUT_FETCH-DEPTH');
  const step = {
    id: 'a', name: 'a', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'node-action' as const, uses: 'o/r@v1',
    action: { repo: 'o/r', path: '', ref: 'v1', sha: 'f'.repeat(40) }, using: 'node20' as const, main: 'index.js',
    with: { token: '${{ matrix.os }}x' }, inputDefaults: { token: 'default', level: '${{ env.A }}' }, requiredInputs: ['token'],
  };
  const s = scope();
  assert.equal(actionInputs(step, s), { token: 'linuxx', level: 'x' });
  assert.throws(() => actionInputs({ ...step, with: {}, requiredInputs: ['token', 'path'] }, s), /o\/r@v1: required inputs "token", "path" not supplied; add them under `with:`/);
});

test.run();
