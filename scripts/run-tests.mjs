// Runs every compiled uvu test file (`<workspace>/dist/test/**/*.test.js`) in its own Node process,
// a few at a time, and prints one closing line: "N passed, N failed, N skipped".
// Under CI (CI=true) a skipped test fails the run: CI installs every system dependency.
// Usage: node scripts/run-tests.mjs [FILTER...]   (substrings of the test file path)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// HELIOS_TEST_ROOT lets the runner's own test point it at a scratch project.
const root = process.env.HELIOS_TEST_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);
const jobs = Number(process.env.HELIOS_TEST_JOBS ?? 2);
const fileTimeoutMs = Number(process.env.HELIOS_TEST_FILE_TIMEOUT_S ?? 600) * 1000;
const strict = process.env.CI === 'true' || process.env.HELIOS_TEST_STRICT === '1';

function workspaceDirs() {
  const patterns = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
  return patterns.flatMap((p) => {
    if (!p.endsWith('/*')) return [join(root, p)];
    const base = join(root, p.slice(0, -2));
    return existsSync(base) ? readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(base, d.name)) : [];
  });
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'fixtures' ? [] : testFiles(full);
    return d.name.endsWith('.test.js') ? [full] : [];
  });
}

const files = workspaceDirs()
  .flatMap((w) => testFiles(join(w, 'dist/test')))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();

if (files.length === 0) {
  console.error('run-tests: no test files found; run "npm run build" first');
  process.exit(1);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\nrun-tests: killed after ${fileTimeoutMs / 1000} s\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(out)?.[1] ?? NaN);
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      const name = relative(root, file);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      // uvu's reporter can crash on a thrown value it cannot format (an object `details`, a thrown
      // string): the file then prints "(0 / 2)", "Passed: 0" and exits 0. Exit 0 is not enough: every
      // test must be accounted for as passed or skipped, and a file must run at least one test.
      const unaccounted = Number.isNaN(total) ? 1 : total - (Number.isNaN(passed) ? 0 : passed) - (skipped || 0);
      const why = code !== 0 ? `exit ${code}`
        : Number.isNaN(total) ? 'no uvu summary (did the file call .run()?)'
        : total === 0 ? 'ran 0 tests'
        : unaccounted > 0 ? `${unaccounted} of ${total} tests neither passed nor skipped (the reporter may have crashed)`
        : null;
      if (why) {
        const failed = Math.max(1, unaccounted);
        totals.failed += failed;
        totals.passed += Number.isNaN(passed) ? 0 : passed;
        failures.push({ name, out });
        console.log(`✘ ${name}: failed (${why}, ${seconds} s)`);
      } else {
        totals.passed += passed;
        totals.skipped += skipped || 0;
        if (skipped) {
          const reasons = out.split('\n').filter((l) => /SKIP/.test(l)).join('\n');
          console.log(`⚠ ${name}: ${passed} passed, ${skipped} skipped (${seconds} s)${reasons ? '\n' + reasons : ''}`);
        } else {
          console.log(`✔ ${name}: ${passed} passed (${seconds} s)`);
        }
      }
      resolve();
    });
  });
}

// Suites on the shared zfs-fuse daemon run one at a time: zfs-fuse has wedged (every zfs and umount
// call hanging) under several concurrent pools doing mounts and destroys, and a wedged daemon fails
// every later ZFS suite. Other files still run beside them.
const usesZfs = (file) => /storage-zfs|zfs|runtime-bhyve|illumos-sim/i.test(relative(root, file));
const queue = [...files];
let zfsBusy = false;
const waiting = new Set();
const wake = () => { for (const w of waiting) w(); waiting.clear(); };
async function worker() {
  for (;;) {
    const i = queue.findIndex((f) => !(zfsBusy && usesZfs(f)));
    if (i < 0) {
      if (queue.length === 0) return;
      await new Promise((resolve) => waiting.add(resolve));
      continue;
    }
    const [file] = queue.splice(i, 1);
    const exclusive = usesZfs(file);
    if (exclusive) zfsBusy = true;
    await runFile(file);
    if (exclusive) zfsBusy = false;
    wake();
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));

for (const f of failures) {
  console.log(`\n────── ${f.name} ──────\n${f.out.trimEnd()}`);
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (totals.failed > 0) process.exit(1);
if (totals.skipped > 0 && strict) {
  console.log('run-tests: skipped tests are failures under CI (CI installs every system dependency)');
  process.exit(1);
}
