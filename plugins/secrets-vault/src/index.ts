import { resolve } from 'node:path';
import { definePlugin, HeliosError, SecretsToken, Type } from '@helios-ci/sdk';
import { checkTemplate } from './pathTemplates.js';
import { VaultHttp } from './vaultHttp.js';
import { VaultSecrets } from './vaultSecrets.js';
import { VaultSession, type VaultAuth } from './vaultSession.js';
import { vaultDoctor } from './doctor.js';

export { VaultSecrets, type VaultSecretsOptions } from './vaultSecrets.js';
export { VaultSession, type VaultAuth, type VaultSessionOptions } from './vaultSession.js';
export { VaultHttp, type VaultHttpOptions } from './vaultHttp.js';

const Name = Type.String({ minLength: 1, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });
const MountPath = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$' });

export const DEFAULT_JOB_PATHS = ['ci/{owner}/{repo}/{name}', 'ci/{owner}/_org/{name}', 'ci/_global/{name}'];
/** Environment-scoped JOB secrets, looked up before jobPaths for a job with `environment:`. */
export const DEFAULT_ENVIRONMENT_PATHS = ['ci/{owner}/{repo}/_env/{environment}/{name}', 'ci/_env/{environment}/{name}'];

export default definePlugin({
  name: 'secrets-vault',
  apiVersion: '1.x',
  kinds: ['secrets'],
  configSchema: Type.Object(
    {
      address: Type.String({ minLength: 1, pattern: '^https?://', description: 'Vault address, e.g. https://vault.example.org:8200' }),
      namespace: Type.Optional(Type.String({ minLength: 1, description: 'Enterprise namespace (X-Vault-Namespace)' })),
      caBundle: Type.Optional(Type.String({ minLength: 1, description: 'PEM of the CA that signed Vault\'s certificate; write { file: ca.pem }' })),
      auth: Type.Union([
        Type.Object(
          {
            method: Type.Literal('token'),
            tokenFile: Type.Optional(Type.String({ minLength: 1 })),
            tokenEnv: Type.Optional(Name),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            method: Type.Literal('approle'),
            mount: Type.String({ default: 'approle', pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$' }),
            roleId: Type.String({ minLength: 1 }),
            secretIdFile: Type.Optional(Type.String({ minLength: 1 })),
            secretIdEnv: Type.Optional(Name),
          },
          { additionalProperties: false },
        ),
      ]),
      kvMount: Type.String({ default: 'secret', pattern: MountPath.pattern }),
      configPath: Type.String({ default: 'helios/config/{ref}', minLength: 1, description: 'where CONFIG secrets ({ secret: ref }) live; never a job path' }),
      jobPaths: Type.Array(Type.String({ minLength: 1 }), { default: DEFAULT_JOB_PATHS, minItems: 1, description: 'where JOB secrets live, most specific first' }),
      environmentPaths: Type.Array(Type.String({ minLength: 1 }), { default: DEFAULT_ENVIRONMENT_PATHS, description: 'where a deployment environment\'s JOB secrets live, most specific first; tried before jobPaths' }),
      versions: Type.Record(Type.String(), Type.Integer({ minimum: 1 }), { default: {}, description: 'pinned KV versions by path inside the mount' }),
      cacheTtlSeconds: Type.Number({ default: 60, minimum: 0, maximum: 3600 }),
      requestTimeoutSeconds: Type.Number({ default: 5, exclusiveMinimum: 0, maximum: 120 }),
      retries: Type.Integer({ default: 3, minimum: 0, maximum: 10 }),
      retryBackoffMs: Type.Integer({ default: 250, minimum: 1, maximum: 10_000 }),
      missing: Type.Union([Type.Literal('fail'), Type.Literal('absent')], { default: 'fail', description: 'a referenced job secret found nowhere: fail the job at dispatch, or leave it empty' }),
    },
    { additionalProperties: false },
  ),
  register(ctx) {
    const c = ctx.config;
    const auth = c.auth as VaultAuth;
    // The Vault credential files (read as given, from the working directory): no job may read them.
    for (const file of [auth.method === 'token' ? auth.tokenFile : auth.secretIdFile]) if (file) ctx.protectPath?.(resolve(file));
    const problems: string[] = [];
    if (auth.method === 'token' && !!auth.tokenFile === !!auth.tokenEnv) problems.push('auth (token) needs exactly one of tokenFile, tokenEnv');
    if (auth.method === 'approle' && !!auth.secretIdFile === !!auth.secretIdEnv) problems.push('auth (approle) needs exactly one of secretIdFile, secretIdEnv (the secret_id is never written in helios.yaml)');
    const configProblem = checkTemplate(c.configPath, ['ref']);
    if (configProblem) problems.push(`configPath: ${configProblem}`);
    else if (!c.configPath.includes('{ref}')) problems.push('configPath must contain {ref}');
    for (const t of c.jobPaths) {
      const p = checkTemplate(t, ['owner', 'repo', 'name']);
      if (p) problems.push(`jobPaths: ${p}`);
      else if (!t.includes('{name}')) problems.push(`jobPaths: template "${t}" must contain {name}`);
    }
    for (const t of c.environmentPaths) {
      const p = checkTemplate(t, ['owner', 'repo', 'environment', 'name']);
      if (p) problems.push(`environmentPaths: ${p}`);
      else if (!t.includes('{name}') || !t.includes('{environment}')) problems.push(`environmentPaths: template "${t}" must contain {environment} and {name}`);
    }
    // The two namespaces must not meet: no job path may fall under the config prefix or the reverse.
    const configPrefix = c.configPath.split('{')[0]!;
    for (const t of [...c.jobPaths, ...c.environmentPaths]) {
      const jobPrefix = t.split('{')[0]!;
      if (jobPrefix.startsWith(configPrefix) || configPrefix.startsWith(jobPrefix)) problems.push(`jobPaths: template "${t}" overlaps configPath "${c.configPath}"; config and job secrets need separate path prefixes (defaults: helios/config/ and ci/)`);
    }
    if (problems.length) throw new HeliosError('E_CONFIG_INVALID', `secrets-vault: ${problems.join('; ')}`);

    let session: VaultSession | null = null;
    ctx.provide(SecretsToken, {
      factory: async () => {
        const http = new VaultHttp({ address: c.address, namespace: c.namespace, ca: c.caBundle, timeoutMs: c.requestTimeoutSeconds * 1000 });
        session = new VaultSession({ http, auth, env: process.env, logger: ctx.logger, retries: c.retries, backoffMs: c.retryBackoffMs });
        // Logged in before the kernel reads the config secrets (the forge keys) through us.
        await session.start();
        return new VaultSecrets({
          session,
          logger: ctx.logger,
          mount: c.kvMount,
          configPath: c.configPath,
          jobPaths: c.jobPaths,
          environmentPaths: c.environmentPaths,
          versions: c.versions,
          cacheTtlMs: c.cacheTtlSeconds * 1000,
          missing: c.missing,
        });
      },
    });
    ctx.onStop(() => session?.stop());
  },
  doctor: (ctx) => vaultDoctor({ ...ctx, config: { ...ctx.config, auth: ctx.config.auth as VaultAuth } }),
});
