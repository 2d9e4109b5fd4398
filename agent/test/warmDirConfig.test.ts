import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../src/index.js';

const base = ['--endpoint', 'h:1', '--token', 't'];

test('--warm-dir: the runtime-given warm volume directory, absolute only; none by default', () => {
  assert.is(parseConfig(base, {}).warmDir, null);
  assert.is(parseConfig([...base, '--warm-dir', '/srv/warm/v1'], {}).warmDir, '/srv/warm/v1');
  assert.is(parseConfig([...base, '--warm-dir=/srv/warm/v2'], {}).warmDir, '/srv/warm/v2');
  assert.is(parseConfig(base, { HELIOS_AGENT_WARM_DIR: '/mnt/warm' }).warmDir, '/mnt/warm');
  assert.throws(() => parseConfig([...base, '--warm-dir', 'relative/dir'], {}), /must be an absolute directory/);
  assert.throws(() => parseConfig([...base, '--warm-dir'], {}), /needs a value/);
});

test.run();
