// The plugin a third party writes outside the repository, importing only @helios-ci/sdk, and its
// conformance test. Kept in one place so a change to the plugin contract (how a plugin declares
// the API it was built for) is one edit here.
import { generateKeyPairSync } from 'node:crypto';

/** package.json of the plugin's own folder (it lives in the third party's project, by relative path). */
export const pluginPackageJson = {
  name: 'memory-secrets',
  version: '0.0.1',
  private: true,
  type: 'module',
  main: './index.js',
  peerDependencies: { '@helios-ci/sdk': '^1.0.0' },
};

/** The plugin: a secrets backend holding what its config says. */
export const pluginSource = `import { definePlugin, HeliosError, SECRET_NAME, SecretsToken, Type } from '@helios-ci/sdk';

export class MemorySecrets {
  constructor(seed) {
    this.seed = seed;
  }
  async resolve(scope) {
    const found = {};
    for (const name of scope.names) {
      if (!SECRET_NAME.test(name)) {
        throw new HeliosError('E_SECRET_NAME_INVALID', 'secret name ' + JSON.stringify(name) + ' must match ' + SECRET_NAME);
      }
      const value = this.seed.repos[scope.repo]?.[name] ?? this.seed.global[name];
      if (value !== undefined) found[name] = value;
    }
    return found;
  }
  async read(ref) {
    return this.seed.refs[ref];
  }
}

const values = Type.Record(Type.String(), Type.String());

export default definePlugin({
  name: 'memory-secrets',
  apiVersion: '1.x',
  kinds: ['secrets'],
  configSchema: Type.Object(
    {
      global: Type.Optional(values),
      repos: Type.Optional(Type.Record(Type.String(), values)),
      refs: Type.Optional(values),
    },
    { additionalProperties: false },
  ),
  register(ctx) {
    ctx.provide(SecretsToken, {
      factory: () => new MemorySecrets({ global: ctx.config.global ?? {}, repos: ctx.config.repos ?? {}, refs: ctx.config.refs ?? {} }),
    });
  },
});
`;

/** The plugin's test, as its author writes it: the sdk's Secrets conformance suite. */
export const conformanceTestSource = `import { secretsConformance } from '@helios-ci/sdk/testkit';
import { MemorySecrets } from './index.js';

secretsConformance('memory-secrets', async (seed) => ({ subject: new MemorySecrets(seed), cleanup: () => {} })).run();
`;

/** helios.yaml: the plugin by relative path, the published plugins by package name. */
export const heliosYaml = `server:
  dataDir: ./data
plugins:
  vault:
    use: ./plugins/memory-secrets
    config:
      global: { NPM_TOKEN: npm-token-value }
  local:
    use: "@helios-ci/runtime-local"
  files:
    use: "@helios-ci/secrets-file"
    enabled: false
  github:
    use: "@helios-ci/forge-github"
    config:
      appId: 123
      privateKey: { env: GITHUB_APP_KEY }
      webhookSecret: { env: GITHUB_HOOK_SECRET }
  forgejo:
    use: "@helios-ci/forge-forgejo"
    config:
      baseUrl: https://forgejo.example.org
      token: { env: FORGEJO_TOKEN }
      webhookSecret: { env: FORGEJO_HOOK_SECRET }
  zfs:
    use: "@helios-ci/storage-zfs"
    config:
      parent: tank/ci
      quotaPerRepositoryBytes: 10737418240
  bhyve:
    use: "@helios-ci/runtime-bhyve"
    config:
      images: { omnios-r151054: { dataset: tank/ci/images/omnios, snapshot: r151054 } }
      network: { etherstub: helios0, subnet: 10.77.0.0/24, gateway: 10.77.0.1 }
      commands: { zfs: ./bhyve-host/zfs, dladm: ./bhyve-host/dladm, zonecfg: ./bhyve-host/zonecfg, zoneadm: ./bhyve-host/zoneadm }
`;

/**
 * runtime-bhyve checks the host when its value is built (config check): these stand-ins answer as an
 * OmniOS host with the image snapshot and the etherstub would (paths relative to the project).
 */
export const bhyveHostScripts: Record<string, string> = {
  zfs: '#!/bin/sh\n[ "$1" = list ] && [ "$7" = tank/ci/images/omnios@r151054 ] && { echo "$7"; exit 0; }\necho "cannot open: dataset does not exist" >&2; exit 1\n',
  dladm: '#!/bin/sh\n[ "$1" = show-link ] && [ "$5" = helios0 ] && { echo etherstub; exit 0; }\necho "dladm: object not found" >&2; exit 1\n',
  zonecfg: '#!/bin/sh\nexit 1\n',
  zoneadm: '#!/bin/sh\nexit 1\n',
};

/** Environment the config's `{ env }` references read (the GitHub forge checks its key is a PEM key). */
export const heliosEnv = {
  GITHUB_APP_KEY: generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey,
  GITHUB_HOOK_SECRET: 'github-hook-secret',
  FORGEJO_TOKEN: 'forgejo-token',
  FORGEJO_HOOK_SECRET: 'forgejo-hook-secret',
};

/** Instance → package name that `helios plugins list --json` must show. */
export const expectedInstances: Record<string, string> = {
  vault: 'memory-secrets',
  local: '@helios-ci/runtime-local',
  files: '@helios-ci/secrets-file',
  github: '@helios-ci/forge-github',
  forgejo: '@helios-ci/forge-forgejo',
  zfs: '@helios-ci/storage-zfs',
  bhyve: '@helios-ci/runtime-bhyve',
};
