import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { isHeliosError } from '../errors.js';
import type { Secrets } from '../interfaces/secrets.js';
import { conformanceSuite, type ConformanceCase, type Subject } from './conformance.js';

/** What the suite asks the backend under test to hold. */
export interface SecretSeed {
  /** Secrets every repository sees, by name. */
  global: Record<string, string>;
  /** Secrets one repository sees (`owner/name` → name → value); they win over global ones. */
  repos: Record<string, Record<string, string>>;
  /**
   * CONFIG secrets: values for `read(ref)` (references such as `github/app-key`), a namespace of
   * their own. Some refs share a name with a job secret or look like one (`FORGEJO_TOKEN`): the
   * suite proves neither namespace leaks into the other.
   */
  refs: Record<string, string>;
}

export const SECRET_SEED: SecretSeed = {
  global: {
    NPM_TOKEN: 'npm_global_0123456789',
    SHARED: 'shared-global-value',
    MULTI_LINE: '-----BEGIN KEY-----\nline two\nline three\n-----END KEY-----',
  },
  repos: { 'acme/widget': { SHARED: 'shared-widget-value', DEPLOY_KEY: 'deploy-widget-value' } },
  refs: {
    'github/app-key': 'app-key-value-42',
    'forgejo/token': 'forgejo-token-value',
    FORGEJO_TOKEN: 'forgejo-config-token-value',
    SHARED: 'shared-config-value',
  },
};

const allValues = () => [
  ...Object.values(SECRET_SEED.global),
  ...Object.values(SECRET_SEED.repos).flatMap((r) => Object.values(r)),
  ...Object.values(SECRET_SEED.refs),
];

const scope = (repo: string, names: string[]) => ({ repo, event: 'push', names });

const cases: ConformanceCase<Secrets>[] = [
  {
    name: 'resolve returns exactly the requested names that exist',
    async run(s) {
      assert.equal(await s.resolve(scope('other/repo', ['NPM_TOKEN'])), { NPM_TOKEN: SECRET_SEED.global.NPM_TOKEN });
    },
  },
  {
    name: 'unknown names are absent, not empty strings',
    async run(s) {
      assert.equal(await s.resolve(scope('other/repo', ['NPM_TOKEN', 'NOPE'])), { NPM_TOKEN: SECRET_SEED.global.NPM_TOKEN });
    },
  },
  {
    name: 'no names gives an empty object',
    async run(s) {
      assert.equal(await s.resolve(scope('acme/widget', [])), {});
    },
  },
  {
    name: 'repository-scoped values win for that repository only',
    async run(s) {
      assert.equal(await s.resolve(scope('acme/widget', ['SHARED', 'DEPLOY_KEY'])), SECRET_SEED.repos['acme/widget']);
      assert.equal(await s.resolve(scope('other/repo', ['SHARED', 'DEPLOY_KEY'])), { SHARED: SECRET_SEED.global.SHARED });
    },
  },
  {
    name: 'multi-line values come back byte for byte',
    async run(s) {
      const got = await s.resolve(scope('acme/widget', ['MULTI_LINE']));
      assert.is(got.MULTI_LINE, SECRET_SEED.global.MULTI_LINE);
    },
  },
  {
    name: 'read(ref) returns config references; missing refs are undefined',
    async run(s) {
      assert.is(await s.read('github/app-key'), SECRET_SEED.refs['github/app-key']);
      assert.is(await s.read('forgejo/token'), SECRET_SEED.refs['forgejo/token']);
      assert.is(await s.read('missing/ref'), undefined);
    },
  },
  {
    name: 'a config secret is never a job secret, even under a valid job name',
    async run(s) {
      assert.equal(await s.resolve(scope('acme/widget', ['FORGEJO_TOKEN'])), {});
      assert.equal(await s.resolve(scope('other/repo', ['FORGEJO_TOKEN'])), {});
      // Same name in both namespaces: each side sees only its own value.
      assert.equal(await s.resolve(scope('other/repo', ['SHARED'])), { SHARED: SECRET_SEED.global.SHARED });
      assert.is(await s.read('SHARED'), SECRET_SEED.refs.SHARED);
    },
  },
  {
    name: 'a job secret is never readable as a config ref',
    async run(s) {
      assert.is(await s.read('NPM_TOKEN'), undefined);
      assert.is(await s.read('DEPLOY_KEY'), undefined);
      assert.is(await s.read('MULTI_LINE'), undefined);
    },
  },
  {
    name: 'an invalid name is E_SECRET_NAME_INVALID, and the error leaks no value',
    async run(s) {
      for (const bad of ['', '1ABC', 'A-B', 'A B', '$(id)', 'A;rm']) {
        try {
          await s.resolve(scope('acme/widget', ['NPM_TOKEN', bad]));
          assert.unreachable(`name ${JSON.stringify(bad)} was accepted`);
        } catch (err) {
          assert.ok(isHeliosError(err), `expected a HeliosError for ${JSON.stringify(bad)}, got ${String(err)}`);
          assert.is(err.code, 'E_SECRET_NAME_INVALID');
          for (const v of allValues()) assert.not.ok(err.message.includes(v), 'error message contains a secret value');
        }
      }
    },
  },
  {
    name: 'concurrent and repeated resolves agree; results are fresh copies',
    async run(s) {
      const names = ['NPM_TOKEN', 'SHARED', 'DEPLOY_KEY'];
      const results = await Promise.all(Array.from({ length: 20 }, () => s.resolve(scope('acme/widget', names))));
      for (const r of results) assert.equal(r, results[0]);
      results[0]!.NPM_TOKEN = 'tampered';
      assert.is((await s.resolve(scope('acme/widget', ['NPM_TOKEN']))).NPM_TOKEN, SECRET_SEED.global.NPM_TOKEN);
    },
  },
];

/** The Secrets conformance suite: `create(seed)` must return a backend holding exactly `seed`. */
export function secretsConformance(name: string, create: (seed: SecretSeed) => Promise<Subject<Secrets>>): Test {
  return conformanceSuite(`Secrets conformance: ${name}`, () => create(SECRET_SEED), cases);
}
