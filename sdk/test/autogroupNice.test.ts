// Autogroup niceness on a real Linux kernel: a detached child's session carries the nice value, never
// lowered, and the kernel's once-per-100-ms limit for unprivileged writers is waited out.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { autogroupNiceOf, raiseAutogroupNice } from '../src/autogroupNice.js';

const NOBODY = 65534;
const started: ChildProcess[] = [];
const sleeper = () => {
  const c = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  started.push(c);
  return c.pid!;
};
const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

test('this host schedules by autogroup (the case these functions exist for)', () => {
  assert.ok(existsSync('/proc/self/autogroup'), 'no /proc/self/autogroup: a kernel without CONFIG_SCHED_AUTOGROUP cannot test this');
});

test('a detached child starts its session at nice 0; raising sets it, a lower value never lowers it', async () => {
  const pid = sleeper();
  assert.is(autogroupNiceOf(pid), 0);
  raiseAutogroupNice(pid, 7);
  assert.ok(await waitFor(() => autogroupNiceOf(pid) === 7), `nice ${autogroupNiceOf(pid)}`);
  raiseAutogroupNice(pid, 3);
  await new Promise((r) => setTimeout(r, 300));
  assert.is(autogroupNiceOf(pid), 7);
});

test('a process that is gone, or a pid that never was: nothing thrown, null read', () => {
  assert.is(autogroupNiceOf(2 ** 22 + 1), null);
  raiseAutogroupNice(2 ** 22 + 1, 5);
});

test('unprivileged, three sessions at once: the rate-limited writes are retried until all three are raised', async () => {
  // Root's writes are never limited: the same code runs as nobody, where the kernel answers EAGAIN.
  const dir = mkdtempSync(join(tmpdir(), 'autogroup-'));
  chmodSync(dir, 0o755);
  const script = join(dir, 'three.mjs');
  writeFileSync(
    script,
    `import { spawn } from 'node:child_process';
import { raiseAutogroupNice, autogroupNiceOf } from ${JSON.stringify(new URL('../src/autogroupNice.js', import.meta.url).href)};
const kids = [1, 2, 3].map(() => spawn('sleep', ['30'], { detached: true, stdio: 'ignore' }));
for (const k of kids) raiseAutogroupNice(k.pid, 11);
const start = Date.now();
const poll = setInterval(() => {
  const now = kids.map((k) => autogroupNiceOf(k.pid));
  if (now.every((n) => n === 11) || Date.now() - start > 8000) {
    clearInterval(poll);
    console.log(JSON.stringify(now));
    for (const k of kids) k.kill();
  }
}, 50);
`,
  );
  const asNobody = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  const child = spawn(process.execPath, [script], { ...asNobody, cwd: '/', stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.once('close', r));
  assert.equal(JSON.parse(out), [11, 11, 11]);
});

test.after(() => {
  for (const c of started) c.kill();
});

test.run();
