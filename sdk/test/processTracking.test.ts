import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeliosError } from '../src/errors.js';
import { isAlive } from '../src/processLiveness.js';
import { findTracked, findTrackedAsync, killTracked, killTrackedNow, TRACKING_ENV } from '../src/processTracking.js';

const started: ChildProcess[] = [];
const uniq = () => `t-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;

/** A real process with `env` as its whole environment, in its own session like a daemon. */
function start(env: Record<string, string>, script = 'sleep 1000'): number {
  const c = spawn('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, detached: true, stdio: 'ignore' });
  c.unref();
  started.push(c);
  return c.pid!;
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

test('finds exactly the processes whose environment holds this marker, no prefix, suffix or look-alike', async () => {
  const m = uniq();
  const mine = start({ [TRACKING_ENV]: m });
  const longer = start({ [TRACKING_ENV]: `${m}-x` });
  const other = start({ [TRACKING_ENV]: uniq() });
  const lookalike = start({ OTHER: `${TRACKING_ENV}=${m}` });
  const none = start({});
  const found = findTracked(m);
  assert.ok(found.includes(mine), 'the marked process is found');
  for (const pid of [longer, other, lookalike, none]) assert.not.ok(found.includes(pid), `pid ${pid} does not carry the marker`);
  assert.not.ok(found.includes(process.pid));
  assert.not.ok(findTracked(m, { exclude: [mine] }).includes(mine), 'excluded pids are never returned');
  // The scan off the event loop finds the same.
  const foundAsync = await findTrackedAsync(m);
  assert.ok(foundAsync.includes(mine), 'the marked process is found (async)');
  for (const pid of [longer, other, lookalike, none, process.pid]) assert.not.ok(foundAsync.includes(pid), `pid ${pid} is not found (async)`);
  assert.not.ok((await findTrackedAsync(m, { exclude: [mine] })).includes(mine), 'excluded pids are never returned (async)');
  for (const pid of [mine, longer, other, lookalike, none]) process.kill(pid, 'SIGKILL');
});

test('killTracked kills a setsid daemon and a TERM-ignoring process of the marker, and leaves another marker alone', async () => {
  const m = uniq();
  const otherMarker = uniq();
  const daemon = start({ [TRACKING_ENV]: m }, 'setsid sleep 1000 & wait');
  const stubborn = start({ [TRACKING_ENV]: m }, "trap '' TERM; sleep 1000 & wait; sleep 1000");
  const bystander = start({ [TRACKING_ENV]: otherMarker });
  // The daemon's grandchild (setsid sleep) carries the marker too; wait until it exists.
  assert.ok(await waitFor(() => findTracked(m).length >= 4), `expected 4 marked processes, saw ${findTracked(m).length}`);
  const before = findTracked(m);
  const signalled = await killTracked(m, { graceMs: 200 });
  for (const pid of before) assert.ok(signalled.includes(pid), `pid ${pid} was signalled`);
  assert.ok(await waitFor(() => before.every((p) => !isAlive(p))), 'every marked process is gone');
  assert.equal(findTracked(m).filter(isAlive), []);
  assert.ok(isAlive(bystander), 'a process of another marker is left alone');
  assert.ok(!isAlive(daemon) && !isAlive(stubborn));
  assert.equal(killTrackedNow(otherMarker).includes(bystander), true);
  assert.ok(await waitFor(() => !isAlive(bystander)));
});

test('a vanished process, an unreadable environ and non-pid entries are skipped, not errors', () => {
  const root = mkdtempSync(join(tmpdir(), 'helios-proc-'));
  try {
    const m = 'hl-0123456789abcdef';
    mkdirSync(join(root, '101'));
    writeFileSync(join(root, '101', 'environ'), `PATH=/bin\0${TRACKING_ENV}=${m}\0HOME=/x\0`);
    mkdirSync(join(root, '102')); // vanished: no environ
    mkdirSync(join(root, '103'));
    writeFileSync(join(root, '103', 'environ'), `${TRACKING_ENV}=${m}`);
    chmodSync(join(root, '103', 'environ'), 0o000); // another user's (root reads it anyway)
    mkdirSync(join(root, 'self'));
    writeFileSync(join(root, 'self', 'environ'), `${TRACKING_ENV}=${m}`);
    mkdirSync(join(root, '104'));
    writeFileSync(join(root, '104', 'environ'), `${TRACKING_ENV}=${m}`); // last entry without a NUL
    const found = findTracked(m, { procRoot: root }).sort();
    assert.ok(found.includes(101) && found.includes(104));
    assert.not.ok(found.includes(102));
    if (process.getuid?.() !== 0) assert.not.ok(found.includes(103));
    assert.equal(findTracked(m, { procRoot: join(root, 'missing') }), [], 'no /proc: nothing found');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a marker that could match more than one machine is refused with a stable code', () => {
  for (const bad of ['', 'a=b', 'a\0b', 'a b', '-x', 'x'.repeat(129)]) {
    try {
      findTracked(bad);
      assert.unreachable(`marker ${JSON.stringify(bad)} was accepted`);
    } catch (err) {
      assert.instance(err, HeliosError);
      assert.is((err as HeliosError).code, 'E_TRACKING_MARKER_INVALID');
    }
  }
});

test.after(() => {
  for (const c of started) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch { /* gone */ }
  }
});

test.run();
