// Expiry of prepared images on real zfs-fuse: unused for preparedMaxAgeDays → destroyed with a log
// line; used recently (a clone made from it) → kept; in use by a job's clone → kept without an error,
// removed by a later pass once the clone is released; one kept before uses were recorded ages from
// its creation; preparedKeepPerImage keeps the most recently used; settings checked with E_ codes.
import { writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type Logger } from '@helios-ci/sdk';
import { verifyPlugin } from '@helios-ci/sdk/testkit';
import { ZfsStorage } from '../src/zfsStorage.js';
import { DAY_MS, expiredPrepared } from '../src/preparedExpiry.js';
import { withZfsPool, zfsTest, type ZfsPool } from './zfsPool.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');
const t = zfsTest(test);

/** A logger that keeps every line, to check what an operator reads. */
function recordingLogger(): Logger & { lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, ...(fields ? { fields } : {}) });
  const logger = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger as unknown as Logger & { lines: typeof lines };
}

async function goldenImage(pool: ZfsPool, image: string): Promise<void> {
  await pool.zfs('create', '-p', `${pool.parent}/images/${image}`);
  writeFileSync(join(pool.mountpoint, `ci/images/${image}/golden`), 'image\n');
  await pool.zfs('snapshot', `${pool.parent}/images/${image}@golden`);
}

/** A prepared image made the way a job makes one: clone, keep after prepare, release. */
async function prepare(s: ZfsStorage, image: string, name: string, job: string): Promise<void> {
  const clone = await s.cloneImage(image, job);
  writeFileSync(join(clone.location, 'installed'), `${name}\n`);
  await s.keepPrepared(clone, name);
  await s.release(clone);
}

const preparedNames = async (pool: ZfsPool) =>
  (await pool.zfs('list', '-H', '-o', 'name', '-t', 'filesystem', '-r', `${pool.parent}/prepared`))
    .split('\n')
    .filter((n) => n.split('/').length === pool.parent.split('/').length + 3)
    .map((n) => n.split('/').slice(-2).join('/'))
    .sort();

t('expired and unused → destroyed; recently used → kept; in use by a clone → kept, no error, removed once released', () =>
  withZfsPool(async (pool) => {
    await goldenImage(pool, 'omnios');
    let clock = Date.now();
    const logger = recordingLogger();
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent, logger, now: () => clock });
    const t0 = clock;
    await prepare(s, 'omnios', 'stale', 'j1');
    await prepare(s, 'omnios', 'recent', 'j2');
    await prepare(s, 'omnios', 'busy', 'j3');
    assert.is((await pool.zfs('get', '-H', '-o', 'value', 'helios:lastused', `${pool.parent}/prepared/omnios/stale`)).trim(), String(t0), 'a new prepared image counts as used');

    // Day 3: a job starts from `busy` and is still running on day 20.
    clock = t0 + 3 * DAY_MS;
    const running = await s.cloneImage('omnios', 'j4', 'busy');
    // Day 10: a job starts from `recent` and ends.
    clock = t0 + 10 * DAY_MS;
    const done = await s.cloneImage('omnios', 'j5', 'recent');
    await s.release(done);
    assert.is((await pool.zfs('get', '-H', '-o', 'value', 'helios:lastused', `${pool.parent}/prepared/omnios/recent`)).trim(), String(t0 + 10 * DAY_MS));

    // Day 20 (default preparedMaxAgeDays 14): stale (20 days) goes, recent (10 days) stays, busy (17 days) is held.
    const pass = await s.prunePrepared(t0 + 20 * DAY_MS);
    assert.equal(pass, { removed: ['omnios/stale'], inUse: ['omnios/busy'] });
    assert.equal(await preparedNames(pool), ['omnios/busy', 'omnios/recent']);
    assert.is(await s.hasPrepared('omnios', 'stale'), false);
    assert.is(await s.hasPrepared('omnios', 'busy'), true);
    assert.is(readFileSync(join(running.location, 'installed'), 'utf8'), 'busy\n', "the running job's disk is untouched");
    const removedLine = logger.lines.find((l) => l.msg.includes('removed prepared image omnios/stale'));
    assert.ok(removedLine, JSON.stringify(logger.lines));
    assert.match(removedLine!.msg, /unused for 20 days \(preparedMaxAgeDays: 14\)/);
    assert.ok(logger.lines.some((l) => l.level === 'info' && l.msg.includes('still in use') && l.fields?.prepared === 'omnios/busy'), JSON.stringify(logger.lines));
    assert.not.ok(logger.lines.some((l) => l.level === 'warn' || l.level === 'error'), JSON.stringify(logger.lines));

    // The job ends: the next pass removes it.
    await s.release(running);
    assert.equal(await s.prunePrepared(t0 + 21 * DAY_MS), { removed: ['omnios/busy'], inUse: [] });
    assert.equal(await preparedNames(pool), ['omnios/recent']);
    // Nothing expired: a pass does nothing.
    assert.equal(await s.prunePrepared(t0 + 22 * DAY_MS), { removed: [], inUse: [] });
    assert.equal(await preparedNames(pool), ['omnios/recent']);
    // The golden image's snapshot was held by the prepared images; with only `recent` left it still is.
    const names = (await pool.zfs('list', '-H', '-o', 'name', '-t', 'all', '-r', pool.parent)).split('\n');
    assert.ok(names.includes(`${pool.parent}/images/omnios@golden`));
    assert.not.ok(names.some((n) => n.includes('/jobs/')), names.join('\n'));
  }),
);

t('a prepared image without a recorded use ages from its creation; preparedKeepPerImage keeps the most recently used per image', () =>
  withZfsPool(async (pool) => {
    await goldenImage(pool, 'omnios');
    await goldenImage(pool, 'debian');
    let clock = Date.now();
    const t0 = clock;
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent, now: () => clock });
    await prepare(s, 'omnios', 'legacy', 'j1');
    // As kept before this release: no helios:lastused.
    await pool.zfs('inherit', 'helios:lastused', `${pool.parent}/prepared/omnios/legacy`);
    assert.equal(await s.prunePrepared(t0 + 13 * DAY_MS), { removed: [], inUse: [] });
    assert.equal(await s.prunePrepared(t0 + 15 * DAY_MS), { removed: ['omnios/legacy'], inUse: [] });

    const counted = new ZfsStorage({ id: 'zfs', parent: pool.parent, now: () => clock, preparedMaxAgeDays: 0, preparedKeepPerImage: 2 });
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      clock = t0 + i * 1000;
      await prepare(counted, 'omnios', name, `k${i}`);
    }
    clock = t0 + 5000;
    await prepare(counted, 'debian', 'only', 'k9');
    // `a` is used again: now `b` is the least recently used of omnios.
    clock = t0 + 6000;
    await counted.release(await counted.cloneImage('omnios', 'k10', 'a'));
    // preparedMaxAgeDays 0: a year of idleness alone removes nothing; the count does.
    const pass = await counted.prunePrepared(t0 + 365 * DAY_MS);
    assert.equal(pass, { removed: ['omnios/b'], inUse: [] });
    assert.equal(await preparedNames(pool), ['debian/only', 'omnios/a', 'omnios/c']);
  }),
);

test('which prepared images expire: by age, by count per image, each once and oldest first', () => {
  const e = (image: string, name: string, days: number) => ({ image, name, lastUsedMs: days * DAY_MS });
  const entries = [e('x', 'new', 99), e('x', 'mid', 95), e('x', 'old', 80), e('y', 'one', 70)];
  assert.equal(expiredPrepared(entries, 100 * DAY_MS, { maxAgeDays: 14, keepPerImage: null }).map((x) => x.entry.name), ['one', 'old']);
  assert.equal(expiredPrepared(entries, 100 * DAY_MS, { maxAgeDays: 0, keepPerImage: 1 }).map((x) => x.entry.name), ['old', 'mid']);
  assert.equal(expiredPrepared(entries, 100 * DAY_MS, { maxAgeDays: 14, keepPerImage: 2 }).map((x) => x.entry.name), ['one', 'old']);
  assert.equal(expiredPrepared(entries, 100 * DAY_MS, { maxAgeDays: 0, keepPerImage: null }), []);
  // Exactly maxAgeDays idle is not yet over it.
  assert.equal(expiredPrepared([e('x', 'edge', 86)], 100 * DAY_MS, { maxAgeDays: 14, keepPerImage: null }), []);
});

test('settings: the schema refuses bad preparedMaxAgeDays / preparedKeepPerImage (E_CONFIG_INVALID); in code, E_STORAGE_CONFIG', async () => {
  for (const bad of [{ preparedMaxAgeDays: -1 }, { preparedMaxAgeDays: 1.5 }, { preparedMaxAgeDays: '14' }, { preparedKeepPerImage: 0 }, { preparedKeepPerImage: 2.5 }]) {
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { parent: 'tank/ci', ...bad } });
    const configure = steps.find((s) => s.step === 'configure');
    assert.ok(configure && !configure.ok, `${JSON.stringify(bad)} should be refused: ${JSON.stringify(steps)}`);
    assert.is(configure!.code, 'E_CONFIG_INVALID', JSON.stringify(configure));
    assert.match(configure!.detail, Object.keys(bad)[0]!);
  }
  for (const bad of [{ preparedMaxAgeDays: -3 }, { preparedMaxAgeDays: Number.NaN }, { preparedKeepPerImage: 0 }]) {
    try {
      new ZfsStorage({ id: 'zfs', parent: 'tank/ci', ...bad });
      assert.unreachable(`${JSON.stringify(bad)} was accepted`);
    } catch (err) {
      assert.ok(isHeliosError(err), String(err));
      assert.is(err.code, 'E_STORAGE_CONFIG');
      assert.match(err.message, Object.keys(bad)[0]!);
    }
  }
  // Defaults: 14 days, no count limit; 0 is allowed (never by age).
  new ZfsStorage({ id: 'zfs', parent: 'tank/ci', preparedMaxAgeDays: 0 });
});

test.run();
