import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HeliosError } from '@helios-ci/sdk';
import type { ActionTreeSource } from '../agent-service/actionTreeSource.js';
import type { ActionArchive } from './actionSource.js';

const SHA = /^[0-9a-f]{40}$/;
const REPO = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\/[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/** Largest archive accepted (unpacked size is bounded by the data directory's space). */
const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;

function tar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('tar', args, { maxBuffer: 1 << 20, env: { ...process.env, LC_ALL: 'C' } }, (err, _out, stderr) =>
      err ? reject(new HeliosError('E_ACTION_ARCHIVE', `tar ${args[0]} failed: ${String(stderr).trim() || err.message}; is tar (GNU tar or bsdtar) installed on the host?`, { retryable: false })) : resolve(),
    );
  });
}

/**
 * The per-host cache of remote action trees, by repository and commit: `<root>/<owner>/<name>/<sha>/`
 * holds `tree/` (the repository at that commit, for reading action.yml while planning) and
 * `action.tar` (the same files at the tar's root, what agents fetch). An entry is written once
 * (unpacked beside, then renamed into place), never changed; its mtime says when it was last used,
 * and `prune` removes entries unused for longer than the configured age.
 */
export class ActionCache implements ActionTreeSource {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Archives stored (fetched) and lookups answered from the cache, since start (tests, benchmark). */
  readonly stats = { stored: 0, hits: 0 };

  constructor(readonly root: string) {}

  private entry(repo: string, sha: string): string {
    if (!REPO.test(repo) || !SHA.test(sha) || repo.split('/').includes('..')) throw new HeliosError('E_ACTION_REF', `not an action repository and commit: ${repo}@${sha}`, { retryable: false });
    return join(this.root, ...repo.toLowerCase().split('/'), sha);
  }

  /** True (and the entry marked used) when `repo` at `sha` is cached. */
  async has(repo: string, sha: string): Promise<boolean> {
    const tarPath = join(this.entry(repo, sha), 'action.tar');
    try {
      await stat(tarPath);
    } catch {
      return false;
    }
    const now = new Date();
    await utimes(join(this.entry(repo, sha)), now, now).catch(() => undefined);
    this.stats.hits++;
    return true;
  }

  /** ActionTreeSource: the tar agents fetch, or null when this host does not have it. */
  async tarFile(repo: string, sha: string): Promise<string | null> {
    if (!REPO.test(repo) || !SHA.test(sha)) return null;
    return (await this.has(repo, sha)) ? join(this.entry(repo, sha), 'action.tar') : null;
  }

  /** Caches `archive` as `repo` at `sha` (once, whatever number of callers race). */
  store(repo: string, sha: string, archive: ActionArchive): Promise<void> {
    const key = `${repo.toLowerCase()}@${sha}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.write(repo, sha, archive).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async write(repo: string, sha: string, archive: ActionArchive): Promise<void> {
    const final = this.entry(repo, sha);
    const staging = join(this.root, '.staging', randomBytes(8).toString('hex'));
    await mkdir(join(staging, 'unpacked'), { recursive: true });
    try {
      const bytes = archive.gzip ? gunzipSync(archive.bytes, { maxOutputLength: MAX_ARCHIVE_BYTES }) : Buffer.from(archive.bytes);
      await writeFile(join(staging, 'archive.tar'), bytes);
      // Extracted without following or keeping owners and modes from the archive beyond the usual.
      await tar(['-x', '-f', join(staging, 'archive.tar'), '-C', join(staging, 'unpacked'), '--no-same-owner']);
      const top = (await readdir(join(staging, 'unpacked'), { withFileTypes: true })).filter((d) => d.name !== 'pax_global_header');
      if (top.length !== 1 || !top[0]!.isDirectory()) throw new HeliosError('E_ACTION_ARCHIVE', `the archive of ${repo}@${sha} does not hold one top directory (it holds ${top.map((d) => d.name).join(', ') || 'nothing'})`, { retryable: false });
      const entry = join(staging, 'entry');
      await mkdir(entry);
      await rename(join(staging, 'unpacked', top[0]!.name), join(entry, 'tree'));
      await tar(['-c', '-f', join(entry, 'action.tar'), '-C', join(entry, 'tree'), '.']);
      await mkdir(join(final, '..'), { recursive: true });
      try {
        await rename(entry, final);
        this.stats.stored++;
      } catch (err) {
        // Another process cached the same commit first: its entry is as good as ours.
        if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** A file of the cached tree (action.yml), or null when absent or when it leads outside the tree. */
  async readFile(repo: string, sha: string, path: string): Promise<string | null> {
    const tree = join(this.entry(repo, sha), 'tree');
    let real: string;
    try {
      real = await realpath(join(tree, ...path.split('/').filter((s) => s !== '' && s !== '.')));
    } catch {
      return null;
    }
    const root = await realpath(tree);
    if (!real.startsWith(root + sep)) return null;
    try {
      return await readFile(real, 'utf8');
    } catch {
      return null;
    }
  }

  /** Removes entries not used for `maxAgeMs`; returns how many. */
  async prune(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const list = async (dir: string) => (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
    for (const owner of await list(this.root)) {
      for (const name of await list(join(this.root, owner.name))) {
        for (const sha of await list(join(this.root, owner.name, name.name))) {
          const dir = join(this.root, owner.name, name.name, sha.name);
          const info = await stat(dir).catch(() => null);
          if (info && now - info.mtimeMs > maxAgeMs) {
            await rm(dir, { recursive: true, force: true });
            removed++;
          }
        }
      }
    }
    await rm(join(this.root, '.staging'), { recursive: true, force: true });
    return removed;
  }
}
