/**
 * Storage.prunePrepared runs in core's storage housekeeping (no scheduler of the storage's own): on
 * each pass, with the kernel clock's time, its removals and in-use skips logged; a storage without
 * it is not asked, and a failing prune is logged without stopping later passes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PrunedPrepared } from '@helios-ci/sdk';
import { BlobHarness, defaultSettings } from '../helpers/blobHarness.js';
import { MemoryStorage } from '../helpers/memoryStorage.js';

/** A storage whose prepared images "expire" as scripted, recording when it was asked. */
class PruningStorage extends MemoryStorage {
  readonly asked: number[] = [];
  answers: (PrunedPrepared | Error)[] = [];
  async prunePrepared(now: number): Promise<PrunedPrepared> {
    this.asked.push(now);
    const next = this.answers.shift() ?? { removed: [], inUse: [] };
    if (next instanceof Error) throw next;
    return next;
  }
}

const settings = defaultSettings();

test('each housekeeping pass asks the storage with the clock time and logs what it removed and what is in use', async () => {
  const storage = new PruningStorage();
  storage.answers = [{ removed: ['omnios/stale'], inUse: ['omnios/busy'] }, new Error('zfs went away'), { removed: ['omnios/busy'], inUse: [] }];
  const h = await new BlobHarness(storage, settings).start();
  try {
    await h.blobs.housekeeping.runNow();
    assert.equal(storage.asked, [h.clock.now()]);
    assert.ok(h.logs.some((l) => l.msg === 'expired prepared images removed' && JSON.stringify(l.fields).includes('omnios/stale')), JSON.stringify(h.logs));
    assert.ok(h.logs.some((l) => l.msg.includes('still in use') && JSON.stringify(l.fields).includes('omnios/busy')), JSON.stringify(h.logs));
    // Periodic passes on the clock: the failing one is logged, the next still runs.
    h.blobs.housekeeping.start();
    h.clock.advance(settings.housekeepingIntervalMs);
    await h.blobs.housekeeping.idle();
    assert.ok(h.logs.some((l) => l.msg === 'storage housekeeping failed' && String((l.fields as { error?: unknown })?.error).includes('zfs went away')), JSON.stringify(h.logs));
    h.clock.advance(settings.housekeepingIntervalMs);
    await h.blobs.housekeeping.idle();
    assert.is(storage.asked.length, 3);
    assert.is(storage.asked[2], h.clock.now());
    assert.is(h.logs.filter((l) => l.msg === 'expired prepared images removed').length, 2);
  } finally {
    await h.stop();
  }
});

test('a storage without prunePrepared: passes run as before', async () => {
  const h = await new BlobHarness(new MemoryStorage(), settings).start();
  try {
    await h.blobs.housekeeping.runNow();
    assert.not.ok(h.logs.some((l) => l.msg.includes('prepared') || l.msg.includes('failed')), JSON.stringify(h.logs));
  } finally {
    await h.stop();
  }
});

test.run();
