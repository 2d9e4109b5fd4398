// The agent protocol's message types are generated from agent.proto once (proto/generated/, shared
// by core and agent through @helios-ci/proto); these tests keep the committed files equal to what
// the .proto generates, so an edited .proto cannot ship with stale types.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const protoPackage = dirname(createRequire(import.meta.url).resolve('@helios-ci/proto/package.json'));
const generator = join(protoPackage, 'scripts/generate-types.mjs');

const check = (dir?: string) => spawnSync(process.execPath, [generator, '--check', ...(dir ? [dir] : [])], { encoding: 'utf8' });

test('the committed proto types are what agent.proto generates', () => {
  const r = check();
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
});

test('a generated file that differs from agent.proto is reported by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-proto-types-'));
  try {
    cpSync(join(protoPackage, 'generated'), dir, { recursive: true });
    const log = join(dir, 'helios/agent/v1/Log.d.ts');
    // What a hand edit (or a .proto change without regenerating) looks like.
    writeFileSync(log, readFileSync(log, 'utf8').replace("'lineCount': (number);", "'lineCount': (string);"));
    const r = check(dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, 'helios/agent/v1/Log.d.ts');
    assert.match(r.stderr, 'node proto/scripts/generate-types.mjs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing generated file is reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-proto-types-'));
  try {
    cpSync(join(protoPackage, 'generated'), dir, { recursive: true });
    rmSync(join(dir, 'helios/agent/v1/Welcome.d.ts'));
    const r = check(dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, 'helios/agent/v1/Welcome.d.ts');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
