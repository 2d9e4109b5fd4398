/** The agent end to end: real AgentService over gRPC, the bundled agent process, a real git repo. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompositeStep } from '@helios-ci/sdk';
import { harness, makeSpec, pidAlive, run, sleep, type Harness } from './helpers.js';

const test = suite('agent end to end');
let h: Harness;
test.before(async () => {
  h = await harness();
});
test.after(async () => {
  await h.close();
});

test('success: clones the exact SHA, runs steps, reports in order, exit 0', async () => {
  const spec = makeSpec(h.repo, [
    run('git rev-parse HEAD; cat README.md', { id: 'show' }),
    run('echo "second step on $RUNNER_OS"', { id: 'two' }),
    run('git remote get-url origin; git config --get remote.origin.fetch', { id: 'origin' }),
  ]);
  const { sink, conclusion, exitCode } = await h.runJob(spec);
  assert.is(conclusion, 'success');
  assert.is(exitCode, 0);
  assert.equal(sink.lines('show'), [h.repo.sha, 'second']);
  assert.equal(sink.lines('two'), ['second step on Linux']);
  assert.equal(sink.lines('origin'), [h.repo.url, '+refs/heads/*:refs/remotes/origin/*'], 'origin is the repository, as `git remote add` sets it');
  assert.equal(sink.started.map((s) => s.step), ['__setup', 'show', 'two', 'origin']);
  assert.equal(sink.finishedSteps.map((s) => [s.step, s.conclusion, s.exit]), [['__setup', 'success', null], ['show', 'success', 0], ['two', 'success', 0], ['origin', 'success', 0]]);
  assert.is(sink.finished?.conclusion, 'success');
  const seqs = [...sink.started, ...sink.finishedSteps, ...sink.batches].map((e) => e.seq).sort((a, b) => a - b);
  assert.equal(seqs, [...new Set(seqs)], 'no seq delivered twice');
});

test('a failing step stops the job; later steps skipped unless always()/failure()', async () => {
  const spec = makeSpec(h.repo, [
    run('echo before; exit 3', { id: 'bad' }),
    run('echo should-not-run', { id: 'skipped' }),
    run('echo always-ran', { id: 'always', if: '${{ always() }}' }),
    run('echo failure-ran', { id: 'onfail', if: 'failure()' }),
    run('echo success-ran', { id: 'onsuccess', if: 'success()' }),
  ]);
  const { sink, conclusion, exitCode } = await h.runJob(spec);
  assert.is(conclusion, 'failure');
  assert.is(exitCode, 1);
  assert.equal([sink.step('bad').outcome, sink.step('bad').exit], ['failure', 3]);
  assert.is(sink.step('skipped').conclusion, 'skipped');
  assert.is(sink.step('onsuccess').conclusion, 'skipped');
  assert.equal(sink.lines('always'), ['always-ran']);
  assert.equal(sink.lines('onfail'), ['failure-ran']);
  assert.not.ok(sink.lines().includes('should-not-run'));
});

test('continue-on-error keeps the job green and exposes the outcome', async () => {
  const spec = makeSpec(h.repo, [
    run('exit 1', { id: 'flaky', continueOnError: true }),
    run('echo "outcome=${{ steps.flaky.outcome }} conclusion=${{ steps.flaky.conclusion }}"', { id: 'next' }),
  ]);
  const { sink, conclusion, exitCode } = await h.runJob(spec);
  assert.is(conclusion, 'success');
  assert.is(exitCode, 0);
  assert.equal([sink.step('flaky').outcome, sink.step('flaky').conclusion], ['failure', 'success']);
  assert.equal(sink.lines('next'), ['outcome=failure conclusion=success']);
});

const bgScript = (pidFile: string) => `sleep 300 &\necho $! > ${pidFile}\necho started\nsleep 300\n`;

test('step timeout kills the whole process group, background sleep included', async () => {
  const pidFile = join(h.root, 'step-timeout.pid');
  const spec = makeSpec(h.repo, [run(bgScript(pidFile), { id: 'slow', timeoutMinutes: 0.02 }), run('echo after', { id: 'after' })]);
  const started = Date.now();
  const { sink, conclusion } = await h.runJob(spec);
  assert.ok(Date.now() - started < 20_000);
  assert.is(conclusion, 'failure');
  assert.is(sink.step('slow').outcome, 'failure');
  assert.ok(sink.lines('slow').some((l) => l.includes('exceeded its timeout')));
  assert.is(sink.step('after').conclusion, 'skipped');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(pid > 1);
  assert.not.ok(pidAlive(pid), `background sleep ${pid} survived the step timeout`);
});

test('job timeout kills the step group and concludes timed_out (exit 3)', async () => {
  const pidFile = join(h.root, 'job-timeout.pid');
  const spec = makeSpec(h.repo, [run(bgScript(pidFile), { id: 'slow' })], { timeoutMinutes: 0.04 });
  const { conclusion, exitCode, sink } = await h.runJob(spec);
  assert.is(conclusion, 'timed_out');
  assert.is(exitCode, 3);
  assert.is(sink.finished?.conclusion, 'timed_out');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.not.ok(pidAlive(pid), `background sleep ${pid} survived the job timeout`);
});

test('cancel mid-step: SIGTERM to the group, always() steps still run, exit 2', async () => {
  const pidFile = join(h.root, 'cancel.pid');
  const spec = makeSpec(h.repo, [
    run(bgScript(pidFile), { id: 'slow' }),
    run('echo not-me', { id: 'normal' }),
    run('echo cleanup-ran', { id: 'cleanup', if: 'always()' }),
  ]);
  const { conclusion, exitCode, sink } = await h.runJob(spec, {
    onStart: (handle, _agent, s) => {
      s.onLine = (line) => {
        if (line === 'started') handle.cancel('cancelled by octocat');
      };
    },
  });
  assert.is(conclusion, 'cancelled');
  assert.is(exitCode, 2);
  assert.is(sink.step('slow').outcome, 'cancelled');
  assert.is(sink.step('normal').conclusion, 'skipped');
  assert.equal(sink.lines('cleanup'), ['cleanup-ran']);
  assert.is(sink.finished?.reason, 'cancelled by octocat');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.not.ok(pidAlive(pid), `background sleep ${pid} survived the cancel`);
});

test('GITHUB_OUTPUT (incl. heredoc) reaches a later step if and run, and job outputs', async () => {
  const spec = makeSpec(
    h.repo,
    [
      run('echo "greeting=hello" >> "$GITHUB_OUTPUT"\n{ echo "poem<<EOF"; echo "roses"; echo "violets"; echo "EOF"; } >> "$GITHUB_OUTPUT"', { id: 'out' }),
      run('echo "got ${{ steps.out.outputs.greeting }}"\necho "${{ steps.out.outputs.poem }}"', { id: 'yes', if: "steps.out.outputs.greeting == 'hello'" }),
      run('echo no', { id: 'no', if: "${{ steps.out.outputs.greeting == 'bye' }}" }),
    ],
    { outputs: { greeting: '${{ steps.out.outputs.greeting }}', lines: '${{ steps.out.outputs.poem }}' } },
  );
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success');
  assert.equal(sink.step('out').outputs, { greeting: 'hello', poem: 'roses\nviolets' });
  assert.equal(sink.lines('yes'), ['got hello', 'roses', 'violets']);
  assert.is(sink.step('no').conclusion, 'skipped');
  assert.equal(sink.finished?.outputs, { greeting: 'hello', lines: 'roses\nviolets' });
});

test('GITHUB_ENV, GITHUB_PATH and env layering (job → GITHUB_ENV → step)', async () => {
  const spec = makeSpec(
    h.repo,
    [
      run('echo "FROM_FILE=file-value" >> "$GITHUB_ENV"\n{ echo "MULTI<<END"; echo "a"; echo "b"; echo "END"; } >> "$GITHUB_ENV"\nmkdir -p "$RUNNER_TEMP/bin"\nprintf "#!/bin/sh\\necho mytool-ran\\n" > "$RUNNER_TEMP/bin/mytool"\nchmod +x "$RUNNER_TEMP/bin/mytool"\necho "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"', { id: 'set' }),
      run('echo "$FROM_FILE|$MULTI|$LAYER|$JOBONLY|${{ env.FROM_FILE }}"\nmytool', { id: 'use', env: { LAYER: 'step-${{ env.JOBONLY }}' } }),
    ],
    { env: { LAYER: 'job', JOBONLY: 'j1' } },
  );
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.lines().join('\n'));
  assert.equal(sink.lines('use'), ['file-value|a', 'b|step-j1|j1|file-value', 'mytool-ran']);
});

test('a local composite action: inputs (defaults + with), nested steps, outputs', async () => {
  const composite: CompositeStep = {
    id: 'greet',
    name: 'Greet',
    if: null,
    env: { COMP_ENV: 'ce' },
    continueOnError: false,
    timeoutMinutes: null,
    kind: 'composite',
    uses: './.github/actions/greet',
    with: { who: '${{ env.NAME }}' },
    inputDefaults: { who: 'nobody', punct: '!' },
    outputs: { message: '${{ steps.say.outputs.msg }}' },
    steps: [
      run('bash "$GITHUB_ACTION_PATH/greet.sh" "${{ inputs.who }}${{ inputs.punct }}"\necho "msg=hi ${{ inputs.who }} ($COMP_ENV)" >> "$GITHUB_OUTPUT"', { id: 'say', shell: 'bash' }),
    ],
  };
  const spec = makeSpec(h.repo, [composite, run('echo "${{ steps.greet.outputs.message }}"', { id: 'after' })], { env: { NAME: 'mona' } });
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.lines().join('\n'));
  assert.equal(sink.lines('greet/say'), ['greet.sh says mona!']);
  assert.is(sink.started.find((s) => s.step === 'greet/say')?.parent, 'greet');
  assert.equal(sink.step('greet').outputs, { message: 'hi mona (ce)' });
  assert.equal(sink.lines('after'), ['hi mona (ce)']);
});

test('annotations carry file, line, col, endLine, endColumn and title', async () => {
  const spec = makeSpec(h.repo, [
    run('echo "::error file=src/app.ts,line=12,col=5,endLine=13,endColumn=9,title=Type error::expected a string%0Agot a number"\necho "::warning file=README.md,line=1::check this"\necho "::notice::just so you know"\necho "::group::Details"\necho inside\necho "::endgroup::"', { id: 'lint' }),
  ]);
  const { sink } = await h.runJob(spec);
  assert.equal(
    sink.annotations.map(({ seq: _s, ...a }) => a),
    [
      { step: 'lint', level: 'error', message: 'expected a string\ngot a number', title: 'Type error', file: 'src/app.ts', line: 12, col: 5, endLine: 13, endColumn: 9 },
      { step: 'lint', level: 'warning', message: 'check this', title: null, file: 'README.md', line: 1, col: null, endLine: null, endColumn: null },
      { step: 'lint', level: 'notice', message: 'just so you know', title: null, file: null, line: null, col: null, endLine: null, endColumn: null },
    ],
  );
  assert.equal(sink.lines('lint'), ['##[error]expected a string got a number', '##[warning]check this', '##[notice]just so you know', '##[group]Details', 'inside', '##[endgroup]']);
});

test('::stop-commands:: disables commands until the token comes back', async () => {
  const spec = makeSpec(h.repo, [run('echo "::stop-commands::pause123"\necho "::error::not an annotation"\necho "::pause123::"\necho "::warning::real one"', { id: 's' })]);
  const { sink } = await h.runJob(spec);
  assert.equal(sink.annotations.map((a) => a.message), ['real one']);
  assert.ok(sink.lines('s').includes('::error::not an annotation'));
});

test('masking: plain, multi-line, split across read chunks, ::add-mask::', async () => {
  const secrets = { TOKEN: 'supersecret123', MULTI: 'first-line-secret\nsecond-line-secret' };
  const spec = makeSpec(
    h.repo,
    [
      run('echo "plain ${{ secrets.TOKEN }} end"\necho "$MULTI"\nprintf "split supers"; sleep 0.4; printf "ecret123 tail\\n"\necho "::add-mask::dyn-value-77"\necho "dynamic dyn-value-77 here"\necho "::warning title=${{ secrets.TOKEN }}::leak ${{ secrets.TOKEN }} dyn-value-77"', { id: 'm', env: { MULTI: '${{ secrets.MULTI }}' } }),
    ],
    {},
    { secrets },
  );
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success');
  const all = sink.allText();
  for (const v of ['supersecret123', 'first-line-secret', 'second-line-secret', 'dyn-value-77']) assert.not.ok(all.includes(v), `${v} leaked`);
  assert.equal(sink.lines('m').slice(0, 5), ['plain *** end', '***', '***', 'split *** tail', 'dynamic *** here']);
  assert.is(sink.annotations[0]?.message, 'leak *** ***');
  assert.is(sink.annotations[0]?.title, '***');
});

test('50 MB of output arrives complete and in order', async () => {
  const n = 500_000; // 100-byte lines (99 digits + newline)
  const spec = makeSpec(h.repo, [run(`seq -f '%099g' 1 ${n}`, { id: 'big' })]);
  let expected = 1;
  let bad: string | null = null;
  const { sink, conclusion } = await h.runJob(spec, {
    onStart: (_h, _a, s) => {
      s.keepLines = false;
      s.onLine = (line, b) => {
        if (b.step !== 'big' || b.stream !== 'stdout') return;
        if (bad === null && (line.length !== 99 || Number(line) !== expected)) bad = `line ${expected}: ${line.slice(0, 20)}…`;
        expected++;
      };
    },
  });
  assert.is(conclusion, 'success');
  assert.is(bad, null);
  assert.is(expected - 1, n);
  assert.ok(sink.lineCount >= n);
});

test('hashFiles and expressions see the workspace', async () => {
  const spec = makeSpec(h.repo, [run('echo "h=${{ hashFiles(\'**/package-lock.json\') }}"\necho "none=${{ hashFiles(\'*.nope\') }}"', { id: 'hf' })]);
  const { sink } = await h.runJob(spec);
  const { createHash } = await import('node:crypto');
  const inner = createHash('sha256').update(readFileSync(join(h.repo.dir, 'package-lock.json'))).digest();
  const expected = createHash('sha256').update(inner).digest('hex');
  assert.equal(sink.lines('hf'), [`h=${expected}`, 'none=']);
});

test('actions/checkout: path, ref and fetch-depth; steps never see the agent token', async () => {
  const spec = makeSpec(h.repo, [
    { id: 'co', name: 'Checkout', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'builtin', action: 'checkout', uses: 'actions/checkout@v4', with: { path: 'sub', ref: h.repo.firstSha, 'fetch-depth': '0' } },
    run('cd sub && git rev-parse HEAD && cat README.md && git rev-list --count --all\nenv | grep -c HELIOS_AGENT_ || true', { id: 'show' }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.lines().join('\n'));
  assert.equal(sink.lines('show'), [h.repo.firstSha, 'first', '2', '0']);
});

test.run();
