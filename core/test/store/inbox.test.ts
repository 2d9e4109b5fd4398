import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { openTempStore } from '../helpers/storeFixtures.js';

test('a redelivered webhook (same forge and delivery id) is stored once', () => {
  const t = openTempStore();
  try {
    const first = t.store.inbox.receive({ forge: 'github', deliveryId: 'abc', kind: 'push', payload: { after: '1' } });
    const again = t.store.inbox.receive({ forge: 'github', deliveryId: 'abc', kind: 'push', payload: { after: 'changed' } });
    assert.is(first.duplicate, false);
    assert.is(again.duplicate, true);
    assert.is(again.record.id, first.record.id);
    assert.equal(again.record.payload, { after: '1' }, 'the duplicate overwrote the stored delivery');
    // The same delivery id on another forge instance is a different delivery.
    assert.is(t.store.inbox.receive({ forge: 'codeberg', deliveryId: 'abc', kind: 'push', payload: {} }).duplicate, false);
    assert.is(t.store.inbox.received().length, 2);
    // Dedupe holds across a restart.
    assert.is(t.reopen().inbox.receive({ forge: 'github', deliveryId: 'abc', kind: 'push', payload: {} }).duplicate, true);
  } finally {
    t.cleanup();
  }
});

test('received → planned | failed, once', () => {
  const t = openTempStore();
  try {
    const a = t.store.inbox.receive({ forge: 'gh', deliveryId: '1', kind: 'push', payload: {} }).record;
    const b = t.store.inbox.receive({ forge: 'gh', deliveryId: '2', kind: 'push', payload: {} }).record;
    assert.is(t.store.inbox.markPlanned(a.id).status, 'planned');
    const failed = t.store.inbox.markFailed(b.id, 'fetchWorkflows: 404');
    assert.equal([failed.status, failed.error], ['failed', 'fetchWorkflows: 404']);
    assert.equal(t.store.inbox.received(), []);
    try {
      t.store.inbox.markFailed(a.id, 'late');
      assert.unreachable();
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_INBOX_STATE');
    }
  } finally {
    t.cleanup();
  }
});

test.run();
