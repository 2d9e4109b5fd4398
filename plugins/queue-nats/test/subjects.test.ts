import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { labelToken, Subjects } from '../src/subjects.js';

test('labels become one subject token each: . * > and spaces cannot split or widen a subject, and no two labels collide', () => {
  const labels = ['illumos', 'ubuntu-24.04', 'a.b', 'a_2eb', 'x*', 'x>', 'two words', 'é', '', '_'];
  const tokens = labels.map(labelToken);
  for (const t of tokens) assert.ok(/^[A-Za-z0-9_-]+$/.test(t), `token ${t}`);
  assert.is(new Set(tokens).size, labels.length, `collision in ${tokens.join(' ')}`);
  assert.is(labelToken('ubuntu-24.04'), 'ubuntu-24_2e04');
  assert.is(labelToken(undefined), '_');
  assert.is(new Subjects('helios').job('a.b'), 'helios.jobs.a_2eb');
});

test('a subject prefix or worker id that could widen a subscription is refused', () => {
  for (const bad of ['helios.>', 'a b', 'x.*', '.x', '']) {
    try {
      new Subjects(bad);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      assert.ok(isHeliosError(err) && err.code === 'E_CONFIG_INVALID', String(err));
    }
  }
  assert.throws(() => new Subjects('helios').destroy('a.b'), /worker id/);
});

test.run();
