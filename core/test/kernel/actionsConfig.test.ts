// helios.yaml `actions:`: allow patterns, requireSha, sources tried in order, cache age. Bad values
// are config problems with their path and position; a forge source must name a configured instance.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

async function check(yaml: string): Promise<{ code: number | null; stderr: string }> {
  const p = new TempProject();
  try {
    p.write('helios.yaml', yaml);
    return await runHelios(['config', 'check', '--config', 'helios.yaml'], { cwd: p.dir });
  } finally {
    p.cleanup();
  }
}

test('a valid actions section passes config check', async () => {
  const r = await check('actions:\n  allow: ["actions/*", "dtolnay/rust-toolchain@*", "Swatinem/rust-cache@v2", "*"]\n  requireSha: true\n  sources:\n    - type: dir\n      path: /srv/helios/actions\n    - type: run-forge\n  cacheMaxAgeDays: 7\n');
  assert.is(r.code, 0, r.stderr);
});

test('bad actions entries are config problems that say what to write', async () => {
  let r = await check('actions:\n  allow: ["not a pattern"]\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /helios\.yaml:2:\d+: actions\.allow\.0/);
  r = await check('actions:\n  sources:\n    - type: dir\n      path: relative/dir\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /actions\.sources\.0/);
  r = await check('actions:\n  sources:\n    - type: forge\n      forge: mirror\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /helios\.yaml:4:14: actions\.sources\.0\.forge: no plugin instance named "mirror" is configured/);
  r = await check('actions:\n  cacheMaxAgeDays: 0\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /actions\.cacheMaxAgeDays/);
});

test.run();
