// helios doctor for a Forgejo forge, through the real CLI against the Forgejo stand-in: a valid
// token and clone token; a token Forgejo refuses, with the exact verdict.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deploymentConfig, runHeliosDoctor } from '@helios-ci/sdk/testkit';
import { ForgejoStandIn } from './standIn/server.js';

const TOKEN = 'forgejo-token-0123456789abcdef';
const READ_TOKEN = 'forgejo-read-token-0123456789';

async function doctor(token: string): Promise<Awaited<ReturnType<typeof runHeliosDoctor>>> {
  const dir = mkdtempSync(join(tmpdir(), 'helios-fj-doctor-'));
  const standIn = await ForgejoStandIn.start({ token: TOKEN, readTokens: [READ_TOKEN], repos: [{ owner: 'acme', name: 'widget', dir, id: 42 }] });
  try {
    writeFileSync(
      join(dir, 'helios.yaml'),
      deploymentConfig(
        `  forgejo:
    use: "@helios-ci/forge-forgejo"
    config:
      baseUrl: ${standIn.url}
      token: ${token}
      cloneToken: ${READ_TOKEN}
      webhookSecret: a-webhook-secret-of-32-characters
`,
        {},
      ),
    );
    return await runHeliosDoctor(dir);
  } finally {
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('valid tokens: ok, exit 0', async () => {
  const r = await doctor(TOKEN);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.verdict('forgejo', 'token'), { source: 'forgejo', name: 'token', status: 'ok', message: 'valid (user helios-bot)' });
  assert.equal(r.verdict('forgejo', 'clone token'), { source: 'forgejo', name: 'clone token', status: 'ok', message: 'valid (user helios-bot)' });
  assert.is(r.verdict('forgejo', 'webhook secret')?.status, 'ok');
});

test('a token Forgejo refuses: error with the fix; exit 1', async () => {
  const r = await doctor('not-a-valid-token');
  assert.is(r.code, 1, r.stdout + r.stderr);
  const v = r.verdict('forgejo', 'token')!;
  assert.is(v.status, 'error');
  assert.is(v.message, 'Forgejo refused it (HTTP 401)');
  assert.match(v.fix!, /^create a new access token \(Settings → Applications; write:repository, read:user\)/);
  assert.is(r.report!.errors, 1);
});

test.run();
