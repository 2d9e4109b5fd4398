import { definePlugin, StorageToken, Type } from '@helios-ci/sdk';
import { ZfsStorage } from './zfsStorage.js';
import { zfsDoctor } from './doctor.js';

export { ZfsStorage, type ZfsStorageOptions } from './zfsStorage.js';
export { DEFAULT_PREPARED_MAX_AGE_DAYS } from './preparedExpiry.js';
export { ZfsCli, ZfsCommandError, classifyZfsMessage, type ZfsFailure } from './zfsCli.js';

const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';

export default definePlugin({
  name: 'storage-zfs',
  // The plugin API range this package is built for (a literal: the kernel checks it against its own).
  apiVersion: '1.x',
  kinds: ['storage'],
  configSchema: Type.Object(
    {
      parent: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.:-]{0,99}(/[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}){0,10}$', description: 'dataset everything lives under, e.g. rpool/ci (created if missing; needs a mountpoint)' }),
      zfsCommand: Type.String({ default: 'zfs', minLength: 1, description: 'zfs executable (name on PATH or full path)' }),
      zpoolCommand: Type.String({ default: 'zpool', minLength: 1, description: 'zpool executable (name on PATH or full path)' }),
      compression: Type.String({ default: 'on', pattern: '^(on|off|lz4|lzjb|zle|gzip|gzip-[1-9]|zstd|zstd-[1-9]|zstd-1[0-9])$', description: 'compression of caches and artifacts; on = lz4 where the pool supports it (zfs-fuse: on, gzip)' }),
      quotaPerRepositoryBytes: Type.Optional(Type.Integer({ minimum: 1048576, description: "quota of each repository's caches and (separately) artifacts" })),
      busyRetries: Type.Integer({ default: 8, minimum: 0, maximum: 30, description: 'extra attempts when zfs answers "dataset is busy" (backoff 0.1 s doubling to 2 s)' }),
      preparedMaxAgeDays: Type.Integer({
        default: 14,
        minimum: 0,
        description: 'days a prepared image (vmactions cache-after-prepare) may go unused before it is removed; 0: never by age',
      }),
      preparedKeepPerImage: Type.Optional(Type.Integer({ minimum: 1, description: 'at most this many prepared images per golden image (the least recently used go first)' })),
      images: Type.Optional(
        Type.Record(Type.String({ pattern: NAME }), Type.Object({ snapshot: Type.Optional(Type.String({ pattern: NAME })) }, { additionalProperties: false }), {
          description: 'per golden image under <parent>/images: the snapshot to clone (default: the newest)',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  register(ctx) {
    const storage = new ZfsStorage({
      id: ctx.instance,
      parent: ctx.config.parent,
      zfsCommand: ctx.config.zfsCommand,
      zpoolCommand: ctx.config.zpoolCommand,
      compression: ctx.config.compression,
      busyRetries: ctx.config.busyRetries,
      preparedMaxAgeDays: ctx.config.preparedMaxAgeDays,
      ...(ctx.config.preparedKeepPerImage !== undefined ? { preparedKeepPerImage: ctx.config.preparedKeepPerImage } : {}),
      logger: ctx.logger,
      ...(ctx.config.quotaPerRepositoryBytes !== undefined ? { quotaPerRepositoryBytes: ctx.config.quotaPerRepositoryBytes } : {}),
      ...(ctx.config.images ? { images: ctx.config.images } : {}),
    });
    ctx.provide(StorageToken, { factory: () => storage });
    ctx.onStart(() => storage.check());
  },
  doctor: zfsDoctor,
});
