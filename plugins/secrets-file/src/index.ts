import { resolve } from 'node:path';
import { definePlugin, SecretsToken, Type } from '@helios-ci/sdk';
import { FileSecrets } from './secretsFile.js';

export { FileSecrets, parseSecretsFile } from './secretsFile.js';

export default definePlugin({
  name: 'secrets-file',
  // The plugin API range this package is built for (a literal: the kernel checks it against its own).
  apiVersion: '1.x',
  kinds: ['secrets'],
  configSchema: Type.Object(
    {
      path: Type.Optional(Type.String({ minLength: 1, description: 'YAML secrets file (mode 600), relative to helios.yaml' })),
      envPrefix: Type.String({ default: 'HELIOS_SECRET_', pattern: '^[A-Z][A-Z0-9_]*$', description: 'job secrets: <prefix><NAME>' }),
      configEnvPrefix: Type.String({ default: 'HELIOS_CONFIG_SECRET_', pattern: '^[A-Z][A-Z0-9_]*$', description: 'config secrets ({ secret: ref }): <prefix><REF>' }),
    },
    { additionalProperties: false },
  ),
  register(ctx) {
    const file = ctx.config.path ? resolve(ctx.configDir, ctx.config.path) : null;
    // No job may read the secrets file (a sandboxing runtime hides it).
    if (file) ctx.protectPath?.(file);
    ctx.provide(SecretsToken, {
      factory: () =>
        new FileSecrets({
          file,
          envPrefix: ctx.config.envPrefix,
          configEnvPrefix: ctx.config.configEnvPrefix,
          env: process.env,
        }),
    });
  },
});
