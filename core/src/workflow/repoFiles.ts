import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { FileRefusedError, type ReadFile } from './compositeAction.js';
import { problem, ProblemCode } from './problems.js';
import type { PlanProblem } from '@helios-ci/sdk';

/** The repository root containing `dir` (nearest folder with `.git`), or `dir` itself. */
export function repoRoot(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return resolve(dir);
  }
}

const inside = (base: string, full: string) => full === base || full.startsWith(base + sep);

/**
 * Reads a file of a working tree, refusing (FileRefusedError, the file unread) a path that a
 * symbolic link leads out of the tree: a symlinked action.yml or workflow must not make
 * `helios plan`/`validate` read, and print in a problem, a file elsewhere on the machine.
 * Null when the file does not exist.
 */
export async function readWorkingTreeFile(root: string, path: string): Promise<Uint8Array | null> {
  const base = resolve(root);
  const full = resolve(base, path);
  if (!inside(base, full)) return null;
  let real: string;
  try {
    real = await realpath(full);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
  if (!inside(await realpath(base), real)) {
    throw new FileRefusedError(path, `${path} is a symbolic link that leads out of the repository; Helios does not follow it. Replace it with the file itself (or a link to a file inside the repository)`);
  }
  try {
    return await readFile(real);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw err;
  }
}

/** ReadFile over a working tree, confined to it (local actions cannot read outside the repository). */
export function workingTreeReader(root: string): ReadFile {
  return (path) => readWorkingTreeFile(root, path);
}

/**
 * Workflow files of a working tree as plan input; a file refused (a symlink out of the tree)
 * becomes a problem naming it instead.
 */
export async function readWorkflowFiles(root: string, paths: readonly string[]): Promise<{ files: { path: string; content: Uint8Array }[]; problems: PlanProblem[] }> {
  const files: { path: string; content: Uint8Array }[] = [];
  const problems: PlanProblem[] = [];
  for (const path of paths) {
    try {
      // A file named outside the repository (helios validate /elsewhere/x.yml) is read as named.
      const full = resolve(root, path);
      const content = inside(resolve(root), full) ? await readWorkingTreeFile(root, path) : await readFile(full).catch(() => null);
      if (content === null) problems.push(problem(path, ProblemCode.unreadable, `${path} cannot be read (it does not exist, or is not a file)`));
      else files.push({ path, content });
    } catch (err) {
      if (!(err instanceof FileRefusedError)) throw err;
      problems.push(problem(path, ProblemCode.symlink, err.message));
    }
  }
  return { files, problems };
}
