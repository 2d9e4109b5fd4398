import { resolve } from 'node:path';
import { definePlugin, StorageToken, Type } from '@helios-ci/sdk';
import { DirStorage } from './dirStorage.js';

export { DirStorage, type DirStorageOptions } from './dirStorage.js';

export default definePlugin({
  name: 'storage-dir',
  // The plugin API range this package is built for (a literal: the kernel checks it against its own).
  apiVersion: '1.x',
  kinds: ['storage'],
  configSchema: Type.Object(
    {
      path: Type.Optional(Type.String({ minLength: 1, description: "directory for images, job volumes, warm heads, caches and artifacts (default: this instance's data dir + /storage), relative to helios.yaml" })),
      quotaPerRepositoryBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'bytes of caches and artifacts one repository may hold (unlimited when absent)' })),
    },
    { additionalProperties: false },
  ),
  register(ctx) {
    // Other repositories' caches and artifacts: no job may read them directly (a sandboxing runtime
    // hides the directory and shows a job only its own warm volume). The default is in the data dir, hidden anyway.
    if (ctx.config.path) ctx.protectPath?.(resolve(ctx.configDir, ctx.config.path));
    ctx.provide(StorageToken, {
      factory: () =>
        new DirStorage({
          id: ctx.instance,
          root: ctx.config.path ? resolve(ctx.configDir, ctx.config.path) : resolve(ctx.dataDir, 'storage'),
          logger: ctx.logger,
          ...(ctx.config.quotaPerRepositoryBytes !== undefined ? { quotaPerRepositoryBytes: ctx.config.quotaPerRepositoryBytes } : {}),
        }),
    });
  },
});
