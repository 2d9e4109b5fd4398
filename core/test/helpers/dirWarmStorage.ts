/**
 * A tiny Storage for the warm-path tests that need no storage plugin: warm volumes are directories,
 * a clone is a full copy (`cp -a`), a commit is a rename. Only the warm half of the contract; the
 * rest refuses with E_UNIMPLEMENTED. It counts commits so a test can prove one never happened.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { definePlugin, HeliosError, StorageToken, Type, type Storage, type StorageRef, type Volume } from '@helios-ci/sdk';

export class DirWarmStorage implements Storage {
  commits = 0;
  constructor(
    readonly id: string,
    private readonly root: string,
  ) {
    mkdirSync(join(root, 'volumes'), { recursive: true });
    mkdirSync(join(root, 'heads'), { recursive: true });
  }

  async cloneImage(): Promise<Volume> {
    throw new HeliosError('E_UNIMPLEMENTED', 'the test storage has no images');
  }

  async openWarm(head: string | null, jobId: string): Promise<Volume> {
    const id = `warm-${randomBytes(6).toString('hex')}`;
    const dir = join(this.root, 'volumes', id);
    const from = head === null ? null : join(this.root, 'heads', head, 'data');
    if (from && existsSync(from)) cpSync(from, join(dir, 'data'), { recursive: true, verbatimSymlinks: true });
    else mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'job'), jobId);
    return { id, kind: 'warm', location: join(dir, 'data'), jobId };
  }

  async commitWarm(volume: Volume): Promise<string> {
    const head = `head-${randomBytes(6).toString('hex')}`;
    renameSync(join(this.root, 'volumes', volume.id), join(this.root, 'heads', head));
    this.commits++;
    return head;
  }

  async release(volume: Volume): Promise<void> {
    rmSync(join(this.root, 'volumes', volume.id), { recursive: true, force: true });
  }

  async writeBlob(): Promise<never> {
    throw new HeliosError('E_UNIMPLEMENTED', 'the test storage has no blobs');
  }

  async readBlob(): Promise<null> {
    return null;
  }

  async remove(ref: Pick<StorageRef, 'id' | 'kind'>): Promise<void> {
    const dir = ref.kind === 'warm-head' ? 'heads' : 'volumes';
    rmSync(join(this.root, dir, ref.id), { recursive: true, force: true });
  }

  async list(): Promise<StorageRef[]> {
    const volumes = readdirSync(join(this.root, 'volumes')).map((id): StorageRef => ({ id, kind: 'warm', jobId: readJob(join(this.root, 'volumes', id)) }));
    const heads = readdirSync(join(this.root, 'heads')).map((id): StorageRef => ({ id, kind: 'warm-head', jobId: null }));
    return [...volumes, ...heads];
  }
}

function readJob(dir: string): string | null {
  try {
    return readFileSync(join(dir, 'job'), 'utf8');
  } catch {
    return null;
  }
}

/** The storage as a plugin object (config: `{ root }`), so the kernel loads it like any other. */
export function dirWarmStoragePlugin(onCreate: (s: DirWarmStorage) => void = () => undefined) {
  return definePlugin({
    name: 'test-warm-storage',
    apiVersion: '1.x',
    kinds: ['storage'],
    configSchema: Type.Object({ root: Type.String() }),
    register(ctx) {
      ctx.provide(StorageToken, {
        factory: () => {
          const s = new DirWarmStorage(ctx.instance, resolve(ctx.configDir, ctx.config.root));
          onCreate(s);
          return s;
        },
      });
    },
  });
}
