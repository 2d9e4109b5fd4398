import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAdminToken } from '../../src/http/api/adminToken.js';
import { tokenMatches } from '../../src/http/api/requireAdmin.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-token-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('first start creates <dataDir>/admin-token with mode 600; later starts reuse it', () => {
  withDir((root) => {
    const dataDir = join(root, 'data');
    const first = loadAdminToken(dataDir, {});
    assert.is(first.source, 'file');
    assert.ok(first.created);
    assert.is(first.path, join(dataDir, 'admin-token'));
    assert.is(statSync(first.path!).mode & 0o777, 0o600);
    assert.ok(first.value.length >= 40);
    assert.equal(first.warnings, []);
    const second = loadAdminToken(dataDir, {});
    assert.is(second.value, first.value);
    assert.not.ok(second.created);
  });
});

test('HELIOS_ADMIN_TOKEN wins over the file; short tokens are refused; a readable file is warned about', () => {
  withDir((dataDir) => {
    const env = loadAdminToken(dataDir, { HELIOS_ADMIN_TOKEN: 'a-long-enough-token-value' });
    assert.equal({ source: env.source, value: env.value }, { source: 'env', value: 'a-long-enough-token-value' });
    assert.throws(() => loadAdminToken(dataDir, { HELIOS_ADMIN_TOKEN: 'short' }), /shorter than 16/);
    writeFileSync(join(dataDir, 'admin-token'), 'tiny\n');
    assert.throws(() => loadAdminToken(dataDir, {}), /delete the file/);
    writeFileSync(join(dataDir, 'admin-token'), 'x'.repeat(32) + '\n');
    chmodSync(join(dataDir, 'admin-token'), 0o644);
    const loose = loadAdminToken(dataDir, {});
    assert.is(loose.value, 'x'.repeat(32));
    assert.match(loose.warnings.join(), /readable by other users; chmod 600/);
  });
});

test('token comparison matches only the exact token (any length)', () => {
  assert.ok(tokenMatches('secret-token-123456', 'secret-token-123456'));
  assert.not.ok(tokenMatches('secret-token-123456', 'secret-token-12345'));
  assert.not.ok(tokenMatches('secret-token-123456', 'secret-token-1234567'));
  assert.not.ok(tokenMatches('secret-token-123456', ''));
});

test.run();
