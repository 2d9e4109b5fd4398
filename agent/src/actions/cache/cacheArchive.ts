/**
 * The cache entry's archive: a gzip tar of the matched paths, stored relative to the workspace as
 * @actions/cache stores them (`tar -P -C $GITHUB_WORKSPACE`), so `~/.cargo` travels as
 * `../../.cargo` and lands in the same absolute place on restore.
 *
 * Restore is all or nothing: every entry must fall inside one of the restore step's own `path`
 * roots (anything else fails the restore), the archive is unpacked into a staging directory first,
 * and only a complete, verified stream is moved into place. Symbolic links are created last, in
 * place, so no entry is ever written through a link from the archive.
 */
import { randomUUID } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { glob, parsePatterns } from '../glob.js';

export const NO_PATHS_MESSAGE = 'Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.';

/** resolvePaths: the matches (directories whole), relative to the workspace, '/'-separated. */
export async function resolveCachePaths(paths: string[], workspace: string): Promise<string[]> {
  const { matches } = await glob(paths.join('\n'), { cwd: workspace, implicitDescendants: false, excludeHiddenFiles: false });
  return matches.map((m) => relative(workspace, m) || '.');
}

/** The gzip tar of `relPaths` (relative to the workspace, `..` allowed), as a stream. */
export function createCacheArchive(relPaths: string[], workspace: string): Readable {
  const pack = tar.c({ gzip: true, cwd: workspace, preservePaths: true, portable: true }, relPaths);
  return Readable.from(pack as AsyncIterable<Buffer>);
}

/** Where restored entries may go: the search root of each including `path` line. */
export function restoreRoots(paths: string[], workspace: string): string[] {
  const roots = parsePatterns(paths.join('\n'), workspace).filter((p) => !p.negate).map((p) => p.searchPath);
  return [...new Set(roots)].sort((a, b) => b.length - a.length);
}

const inside = (root: string, p: string): boolean => p === root || p.startsWith(root === '/' ? '/' : `${root}/`);

/** Unpacks `archive` into `roots`; throws (restoring nothing) on a cut-off, corrupt or escaping archive. */
export async function restoreCacheArchive(archive: Readable, roots: string[], workspace: string, tempDir: string): Promise<void> {
  await mkdir(tempDir, { recursive: true });
  const staging = await mkdtemp(join(tempDir, 'cache-restore-'));
  const links: { at: string; target: string }[] = [];
  let refused: string | null = null;
  const map = (entryPath: string): string | null => {
    const target = resolve(workspace, entryPath);
    const index = roots.findIndex((r) => inside(r, target));
    if (index < 0) return null;
    const rel = relative(roots[index]!, target);
    return rel ? `${index}/${rel}` : String(index);
  };
  try {
    const unpack = tar.x({
      cwd: staging,
      strict: true,
      preserveOwner: false,
      // tar's zip-bomb guard (default 1000:1) refuses what GNU tar, so GitHub, restores: a cache of
      // zero-filled or sparse files gzips beyond it (2 GiB of zeros: 1029:1). The archive comes from
      // this repository's own saves, and a restore only fills this job's disk.
      maxDecompressionRatio: Number.POSITIVE_INFINITY,
      filter: (entryPath, entry) => {
        const e = entry as tar.ReadEntry;
        const mapped = map(entryPath);
        if (mapped === null) {
          refused ??= entryPath;
          return false;
        }
        if (e.type === 'SymbolicLink') {
          links.push({ at: resolve(workspace, entryPath), target: String(e.linkpath) });
          return false;
        }
        if (e.type === 'Link') {
          const linkMapped = map(String(e.linkpath));
          if (linkMapped === null) {
            refused ??= entryPath;
            return false;
          }
          e.linkpath = linkMapped;
        }
        e.path = mapped;
        return true;
      },
    });
    await pipeline(archive, unpack);
    if (refused !== null) throw new Error(`the cache archive holds ${JSON.stringify(refused)}, which is outside the paths of this step; nothing was restored`);
    for (const [index, root] of roots.entries()) {
      const staged = join(staging, String(index));
      if (await lstat(staged).catch(() => null)) await moveInto(staged, root);
    }
    for (const link of links) await placeLink(link.at, link.target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Moves `src` onto `dest`, merging into directories that already exist there. */
async function moveInto(src: string, dest: string): Promise<void> {
  const s = await lstat(src);
  const existing = await lstat(dest).catch(() => null);
  if (s.isDirectory()) {
    const existingDir = existing ? await stat(dest).catch(() => null) : null;
    if (existingDir?.isDirectory()) {
      for (const child of await readdir(src)) await moveInto(join(src, child), join(dest, child));
      return;
    }
  }
  if (existing) await rm(dest, { recursive: true, force: true });
  await mkdir(dirname(dest), { recursive: true });
  try {
    await rename(src, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // Staging is under the job's temp directory; a path on another file system is copied.
    await cp(src, dest, { recursive: true, verbatimSymlinks: true, force: true, preserveTimestamps: true });
  }
}

async function placeLink(at: string, target: string): Promise<void> {
  await mkdir(dirname(at), { recursive: true });
  const existing = await lstat(at).catch(() => null);
  if (existing?.isDirectory()) return; // never replace a real directory by a link
  const tmp = `${at}.${randomUUID()}.tmp`;
  await symlink(target, tmp);
  await rename(tmp, at);
}
