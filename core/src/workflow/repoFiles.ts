import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ReadFile } from './compositeAction.js';

/** The repository root containing `dir` (nearest folder with `.git`), or `dir` itself. */
export function repoRoot(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return resolve(dir);
  }
}

/** ReadFile over a working tree, confined to it (local actions cannot read outside the repository). */
export function workingTreeReader(root: string): ReadFile {
  const base = resolve(root);
  return async (path) => {
    const full = resolve(base, path);
    if (full !== base && !full.startsWith(base + sep)) return null;
    try {
      return await readFile(full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw err;
    }
  };
}
