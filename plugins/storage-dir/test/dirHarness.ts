import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { StorageHarness } from '@helios-ci/sdk/testkit';
import { DirStorage } from '../src/index.js';

/** Builds the backend under test; the suite-catches test passes a deliberately broken subclass. */
export type MakeStorage = (options: ConstructorParameters<typeof DirStorage>[0]) => DirStorage;

export const QUOTA = 1024 * 1024;

/** A Storage conformance harness over a temp directory; `quota` makes every instance enforce it. */
export async function dirHarness(quota?: number, make: MakeStorage = (o) => new DirStorage(o)): Promise<StorageHarness & { root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'helios-storage-dir-'));
  const create = async () => make({ id: 'dir', root, ...(quota !== undefined ? { quotaPerRepositoryBytes: quota } : {}) });
  return {
    root,
    create,
    async prepareImage(name, files) {
      for (const [rel, text] of Object.entries(files)) {
        const path = join(root, 'images', name, rel);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text);
      }
    },
    async readVolumeFile(volume, relPath) {
      try {
        return await readFile(join(volume.location, relPath), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async writeVolumeFile(volume, relPath, text) {
      const path = join(volume.location, relPath);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    },
    async halfMakeVolume(_storage, kind, jobId) {
      // What a copy killed midway leaves: the job's directory with part of the tree in it.
      const id = `jobs/${jobId}-${kind === 'warm' ? 'warm' : 'image'}`;
      const location = join(root, id);
      await mkdir(join(location, 'deep/a'), { recursive: true });
      await writeFile(join(location, 'deep/a/partial'), 'half');
      return { id, kind, location, jobId };
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
