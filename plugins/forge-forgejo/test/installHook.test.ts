import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { installHook } from '../src/installHook.js';
import { helios } from './helpers/cli.js';
import { standInWithRepo, TOKEN } from './helpers/standInRepo.js';

type Ctx = Awaited<ReturnType<typeof standInWithRepo>>;
const test = suite<{ env: Ctx }>('install-hook');

test.before.each(async (ctx) => {
  ctx.env = await standInWithRepo();
});
test.after.each(async (ctx) => {
  assert.equal(ctx.env.standIn.selfProblems, [], 'the stand-in answered outside the swagger');
  await ctx.env.cleanup();
});

const api = (ctx: Ctx, body: unknown) =>
  fetch(`${ctx.standIn.url}/api/v1/repos/acme/widget/hooks`, { method: 'POST', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('the stand-in keeps Forgejo\'s hook rules: url and content_type required (422), active defaults to false', async ({ env }) => {
  assert.is((await api(env, { type: 'forgejo', config: { content_type: 'json' } })).status, 422);
  assert.is((await api(env, { type: 'forgejo', config: { url: 'https://ci.example.org/hooks/x' } })).status, 422);
  assert.is((await api(env, { type: 'forgejo', config: { url: 'not a url', content_type: 'json' } })).status, 422);
  assert.is((await api(env, { type: 'jenkins', config: { url: 'https://ci.example.org/hooks/x', content_type: 'json' } })).status, 422);
  assert.is((await api(env, { config: { url: 'https://ci.example.org/hooks/x', content_type: 'json' } })).status, 422);
  const res = await api(env, { type: 'forgejo', config: { url: 'https://ci.example.org/hooks/x', content_type: 'json' } });
  assert.is(res.status, 201);
  const hook = (await res.json()) as { active: boolean; events: string[] };
  assert.is(hook.active, false);
  assert.equal(hook.events, ['push']);
});

test('installHook creates an active forgejo hook with the events and the secret; a second run updates it', async ({ env }) => {
  const options = { baseUrl: env.standIn.url, token: TOKEN, repo: 'acme/widget', hookUrl: 'https://ci.example.org/hooks/codeberg', secret: 'hook-secret' };
  const first = await installHook(options);
  assert.is(first.created, true);
  assert.equal(env.standIn.hooks, [
    { id: first.id, repo: 'acme/widget', type: 'forgejo', config: { url: 'https://ci.example.org/hooks/codeberg', content_type: 'json', secret: 'hook-secret' }, events: ['push', 'pull_request', 'issue_comment'], active: true },
  ]);
  env.standIn.hooks[0]!.active = false;
  const second = await installHook({ ...options, secret: 'rotated' });
  assert.equal([second.created, second.id], [false, first.id]);
  assert.is(env.standIn.hooks.length, 1);
  assert.is(env.standIn.hooks[0]!.active, true);
  assert.is(env.standIn.hooks[0]!.config.secret, 'rotated');
  try {
    await installHook({ ...options, repo: 'acme' });
    assert.unreachable('a bad --repo was accepted');
  } catch (err) {
    assert.ok(isHeliosError(err) && err.code === 'E_USAGE');
  }
});

test('against Gitea (no "forgejo" hook type) the hook is created with type gitea', async () => {
  const gitea = await standInWithRepo({ flavour: 'gitea' });
  try {
    const r = await installHook({ baseUrl: gitea.standIn.url, token: TOKEN, repo: 'acme/widget', hookUrl: 'https://ci.example.org/hooks/gitea', secret: 's' });
    assert.is(r.created, true);
    assert.equal(gitea.standIn.hooks.map((h) => [h.type, h.active]), [['gitea', true]]);
    assert.equal(gitea.standIn.requests.filter((q) => q.operationId === 'repoCreateHook').map((q) => q.status), [422, 201]);
  } finally {
    await gitea.cleanup();
  }
});

test('helios forgejo install-hook --repo … --url …: reads helios.yaml, resolves the secrets, names the instance in the URL', async ({ env }) => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-install-hook-'));
  try {
    writeFileSync(
      join(dir, 'helios.yaml'),
      `server:\n  dataDir: ./data\n  publicUrl: https://ci.example.org\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  codeberg:\n    use: "@helios-ci/forge-forgejo"\n    config:\n      baseUrl: ${env.standIn.url}\n      token: { secret: forgejo/token }\n      webhookSecret: { secret: forgejo/webhook }\n`,
    );
    const secrets = { HELIOS_CONFIG_SECRET_FORGEJO_TOKEN: TOKEN, HELIOS_CONFIG_SECRET_FORGEJO_WEBHOOK: 'from-the-secrets-backend' };
    const r = await helios(['forgejo', 'install-hook', '--repo', 'acme/widget'], dir, secrets);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /created webhook #\d+ on acme\/widget: https:\/\/ci\.example\.org\/hooks\/codeberg/);
    assert.not.match(r.stdout + r.stderr, TOKEN);
    assert.not.match(r.stdout + r.stderr, 'from-the-secrets-backend');
    assert.equal(env.standIn.hooks.map((h) => [h.config.url, h.config.secret, h.active, h.events]), [['https://ci.example.org/hooks/codeberg', 'from-the-secrets-backend', true, ['push', 'pull_request', 'issue_comment']]]);

    const again = await helios(['forgejo', 'install-hook', '--repo', 'acme/widget', '--url', 'https://other.example.org/', '--instance', 'codeberg', '--config', 'helios.yaml'], dir, secrets);
    assert.is(again.code, 0, again.stderr);
    assert.is(env.standIn.hooks.length, 2);
    assert.is(env.standIn.hooks[1]!.config.url, 'https://other.example.org/hooks/codeberg');

    const wrong = await helios(['forgejo', 'install-hook', '--repo', 'acme/widget', '--instance', 'nope'], dir, secrets);
    assert.is(wrong.code, 1);
    assert.match(wrong.stderr, /no forge instance "nope"/);
    const missingRepo = await helios(['forgejo', 'install-hook', '--repo', 'acme/missing'], dir, secrets);
    assert.is(missingRepo.code, 1);
    assert.match(missingRepo.stderr, /E_FORGE_REJECTED.*404/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
