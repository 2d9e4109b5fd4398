/** ACTIONS_RUNTIME_TOKEN: the shape @actions/artifact decodes, signature, expiry. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RuntimeTokens } from '../../src/actions-runtime/runtimeToken.js';

test('the scp claim carries Actions.Results:<run>:<job>, as @actions/artifact parses it', () => {
  const token = new RuntimeTokens().mint('run-1', 'job-2', 60_000);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { scp: string };
  const scope = claims.scp.split(' ').find((s) => s.startsWith('Actions.Results:'))!.split(':');
  assert.equal(scope, ['Actions.Results', 'run-1', 'job-2']);
});

test('verified while fresh; refused when expired, from another server, or with changed claims', () => {
  const tokens = new RuntimeTokens();
  const now = Date.UTC(2026, 0, 1);
  const token = tokens.mint('run-1', 'job-2', 60_000, now);
  assert.equal({ ...tokens.verify(token, now + 1000), exp: 0 }, { runId: 'run-1', jobId: 'job-2', exp: 0 });
  assert.throws(() => tokens.verify(token, now + 61_000), /ACTIONS_RUNTIME_TOKEN was refused: it has expired/);
  assert.throws(() => new RuntimeTokens().verify(token, now), /signature does not match/);
  const [h, p, s] = token.split('.');
  const other = Buffer.from(Buffer.from(p!, 'base64url').toString('utf8').replace('run-1', 'run-9')).toString('base64url');
  assert.throws(() => tokens.verify(`${h}.${other}.${s}`, now), /signature does not match/);
  assert.throws(() => tokens.verify('not-a-jwt', now), /not a token this Helios server issued/);
});

test.run();
