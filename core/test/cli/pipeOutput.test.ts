// Output through a pipe is never cut off: every command that can print more than a pipe buffer
// (64 KiB) is run with its stdout on a real pipe whose reader is slow, and the bytes that arrive are
// compared with the same command's output written to a file. (The defect: `process.exit` right after
// a big write dropped what was still queued: `helios plan --json | wc -c` printed 65536.)
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI } from '../helpers/tempProject.js';

const env = () => ({ PATH: process.env.PATH, HOME: tmpdir(), NO_COLOR: '1' });

/**
 * Runs helios with stdout on a real pipe (pipe(2), as a shell makes for `| wc -c`; Node's own
 * child-process stdio is a socketpair with far larger buffers, which hides the defect) whose reader
 * waits 500 ms before reading, so the pipe fills up. The shell only wires the pipe: every argument
 * reaches helios as "$@", never as shell text.
 */
function throughSlowPipe(args: string[], cwd: string): { code: number; bytes: Buffer } {
  const stamp = process.hrtime.bigint();
  const status = join(cwd, '..', `status-${stamp}`);
  const out = join(cwd, '..', `piped-${stamp}`);
  spawnSync('bash', ['-c', '{ "$@"; echo $? > "$STATUS_FILE"; } | { sleep 0.5; cat > "$OUT_FILE"; }', 'bash', process.execPath, CLI, ...args], {
    cwd,
    env: { ...env(), STATUS_FILE: status, OUT_FILE: out },
    stdio: 'ignore',
    timeout: 120_000,
  });
  try {
    return { code: Number(readFileSync(status, 'utf8').trim()), bytes: readFileSync(out) };
  } finally {
    rmSync(status, { force: true });
    rmSync(out, { force: true });
  }
}

/** The same command with stdout redirected to a file (synchronous writes: never cut off). */
function toFile(args: string[], cwd: string): { code: number | null; bytes: Buffer } {
  const out = join(cwd, '..', `out-${process.hrtime.bigint()}.txt`);
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: env(), stdio: ['ignore', fd, 'ignore'], timeout: 120_000 });
    return { code: r.status, bytes: readFileSync(out) };
  } finally {
    closeSync(fd);
    rmSync(out, { force: true });
  }
}

function gitRepo(files: Record<string, string>): { dir: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'helios-pipe-'));
  const dir = join(root, 'repo');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...a: string[]) => spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'workflows');
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * `same`: the output is deterministic, so the piped bytes must equal the file's; otherwise (a run
 * record has timings) the piped output must be complete JSON of about the same size.
 */
async function assertWhole(args: string[], cwd: string, expectCode: number, same = true): Promise<void> {
  const file = toFile(args, cwd);
  assert.is(file.code, expectCode);
  assert.ok(file.bytes.length > 128 * 1024, `the case must print well over a pipe buffer; printed ${file.bytes.length} bytes`);
  const piped = throughSlowPipe(args, cwd);
  assert.is(piped.code, expectCode);
  if (same) assert.is(piped.bytes.length, file.bytes.length, `helios ${args.join(' ')}: the pipe got ${piped.bytes.length} of ${file.bytes.length} bytes`);
  let parsed: unknown;
  assert.not.throws(() => (parsed = JSON.parse(piped.bytes.toString('utf8'))), `helios ${args.join(' ')}: the piped output (${piped.bytes.length} bytes) is not whole JSON`);
  assert.ok(parsed);
}

const values = Array.from({ length: 16 }, (_, i) => `value-${i}`).join(', ');
const bigMatrix = `on: push\njobs:\n  build:\n    runs-on: local\n    strategy:\n      matrix:\n        a: [${values}]\n        b: [${values}]\n    steps:\n      - run: echo \${{ matrix.a }} \${{ matrix.b }} with a line long enough to make the plan large\n`;

test('helios plan --json: a 16×16 matrix arrives whole through a slow pipe', async () => {
  const r = gitRepo({ '.github/workflows/ci.yml': bigMatrix });
  try {
    await assertWhole(['plan', '--event', 'push', '--ref', 'refs/heads/main', '--json'], r.dir, 0);
  } finally {
    r.cleanup();
  }
});

test('helios validate --json: hundreds of problems arrive whole through a slow pipe (exit 1)', async () => {
  const files: Record<string, string> = {};
  const jobs = Array.from({ length: 40 }, (_, j) => `  job${j}:\n    runs-on: no-such-label-${j}\n    steps:\n      - uses: docker://registry.example.org/unknown-${j}:v1\n`).join('');
  for (let f = 0; f < 12; f++) files[`.github/workflows/w${f}.yml`] = `on: push\njobs:\n${jobs}`;
  const r = gitRepo(files);
  try {
    await assertWhole(['validate', '--json'], r.dir, 1);
  } finally {
    r.cleanup();
  }
});

test('helios run --json: a run record with a thousand annotations arrives whole through a slow pipe', async () => {
  const loop = `for i in $(seq 1 1000); do echo "::warning file=src/file-$i.c,line=$i::warning number $i with some text to make it long"; done`;
  const r = gitRepo({ '.github/workflows/ci.yml': `on: push\njobs:\n  noisy:\n    runs-on: local\n    steps:\n      - run: '${loop}'\n` });
  try {
    await assertWhole(['run', '--json'], r.dir, 0, false);
  } finally {
    r.cleanup();
  }
});

test.run();
