// run-startup: `helios run` of a one-step `echo` workflow, the whole process, against `bash -c`
// running the same step. Each is started RUNS times (default 5), alternating, so both see the same
// machine load. Per start: wall (spawn → exit), CPU (user + sys of the process and its children,
// the agent included, from bash's `times`), and for helios the time to its first line of output.
// Medians. Checks every helios run exited 0 and printed the step's output. One JSON line on stdout.
// `floor` is two bare `node -e 0` starts in a row (the CLI and its agent are two Node processes, so
// no `helios run` can start faster than this on the machine), measured in the same loop.
//   npm run bench -- run-startup [RUNS]
//   BENCH_CPU_PROF=DIR: `helios run` writes V8 CPU profiles there (for finding where start-up goes).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../core/dist/src/cli/bin.js');
const RUNS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('usage: npm run bench -- run-startup [RUNS]');
  process.exit(2);
}
const MARK = 'hello from the step';
const STEP = `echo "${MARK}"`;
const progress = (m) => process.stderr.write(`run-startup: ${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => Math.round(x);

function makeRepo(dir) {
  const git = (args) => {
    const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args[0]}: ${r.stderr}`);
  };
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  writeFileSync(join(dir, '.github/workflows/ci.yml'), `on: push\njobs:\n  hello:\n    runs-on: local\n    steps:\n      - run: ${STEP}\n`);
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'bench']);
}

/**
 * Runs argv under `bash -c '"$@"; times'`: bash's `times` prints the CPU its children used (user and
 * sys, the whole process tree once reaped) on stderr as its last two lines.
 */
function timed(argv, cwd, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'bench', ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let firstLineMs = null;
    child.stdout.on('data', (d) => {
      out += d;
      if (firstLineMs === null && out.includes('\n')) firstLineMs = Number(process.hrtime.bigint() - started) / 1e6;
    });
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(err);
      if (!m) return reject(new Error(`no times output:\n${err}`));
      const cpuMs = (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
      resolve({ code, out, err, wallMs, cpuMs, firstLineMs });
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'helios-bench-run-startup-'));
try {
  const repo = join(root, 'repo');
  makeRepo(repo);
  const env = { PATH: process.env.PATH, HOME: root, LANG: 'C.UTF-8' };
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const helios = [];
  const bash = [];
  const floor = [];
  // One unmeasured start of each first: the page cache, not Helios, would otherwise dominate it.
  for (let i = -1; i < RUNS; i++) {
    const h = await timed([process.execPath, ...prof, CLI, 'run'], repo, env);
    if (h.code !== 0 || !h.out.includes(MARK)) throw new Error(`helios run exited ${h.code} or did not print the step's output:\n${h.out}\n${h.err}`);
    const b = await timed(['bash', '-c', STEP], repo, env);
    if (b.code !== 0 || !b.out.includes(MARK)) throw new Error(`bash -c exited ${b.code}:\n${b.out}\n${b.err}`);
    const f = await timed(['bash', '-c', '"$0" -e 0 && "$0" -e 0', process.execPath], repo, env);
    if (f.code !== 0) throw new Error(`node -e 0 exited ${f.code}:\n${f.err}`);
    if (i < 0) continue;
    helios.push(h);
    bash.push(b);
    floor.push(f);
    progress(`${i + 1}/${RUNS}: helios ${ms(h.wallMs)} ms wall, ${ms(h.cpuMs)} ms CPU, first line ${ms(h.firstLineMs)} ms; bash ${ms(b.wallMs)} ms; 2 × node -e 0 ${ms(f.wallMs)} ms`);
  }
  const pick = (list, k) => ms(median(list.map((r) => r[k])));
  process.stdout.write(
    JSON.stringify({
      bench: 'run-startup',
      runs: RUNS,
      workflow: `one job, one step: ${STEP}`,
      wallMs: pick(helios, 'wallMs'),
      cpuMs: pick(helios, 'cpuMs'),
      firstLineMs: pick(helios, 'firstLineMs'),
      baseline: { what: `bash -c '${STEP}'`, wallMs: pick(bash, 'wallMs'), cpuMs: pick(bash, 'cpuMs') },
      floor: { what: 'node -e 0, twice in a row (CLI + agent are two Node processes)', wallMs: pick(floor, 'wallMs'), cpuMs: pick(floor, 'cpuMs') },
      samples: { wallMs: helios.map((r) => ms(r.wallMs)), cpuMs: helios.map((r) => ms(r.cpuMs)), firstLineMs: helios.map((r) => ms(r.firstLineMs)) },
    }) + '\n',
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
