/**
 * Warm paths: after the checkout, each of the job's warm paths `i` becomes a symbolic link to
 * `<warm volume>/<i>`, so the job's steps read and write the warm data in place (no archive, no
 * copy). The volume is a clone of the branch's last warm head, made by the orchestrator's Storage;
 * what the steps leave there becomes the next head when the job succeeds.
 *
 * A symbolic link, not a bind mount: the agent runs unprivileged under runtime-local, and a link
 * works the same on any host. Nothing is ever created through a link the checkout brought: a
 * repository with `target -> /etc` must not make the agent write outside the workspace.
 */
import { lstatSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parseWarmPath, warmPathListProblem } from '@helios-ci/sdk';
import type { JobContext } from './jobContext.js';

/** Links every warm path of the job into the warm volume; throws with a clear message when one cannot be. */
export function linkWarmPaths(ctx: JobContext, step: string): void {
  const paths = ctx.spec.warmPaths ?? [];
  if (paths.length === 0) return;
  const warmDir = ctx.opts.warmDir;
  if (!warmDir) {
    throw new Error(`the job has warm paths (${paths.join(', ')}) but the runtime gave this agent no warm volume (--warm-dir); this is a runtime bug or an agent older than its server`);
  }
  const problem = warmPathListProblem(paths);
  if (problem) throw new Error(problem);
  const home = homedir();
  paths.forEach((path, i) => {
    const parsed = parseWarmPath(path);
    if (typeof parsed === 'string') throw new Error(parsed);
    const root = parsed.base === 'home' ? home : ctx.workspace;
    const target = join(root, ...parsed.segments);
    if (parsed.base === 'home' && overlaps(target, ctx.opts.workDir)) {
      throw new Error(`warm path ${path} (${target}) overlaps the agent's work directory ${ctx.opts.workDir}; write a path relative to the workspace instead`);
    }
    const volumeDir = join(warmDir, String(i));
    mkdirSync(volumeDir, { recursive: true });
    let dir = root;
    for (const segment of parsed.segments.slice(0, -1)) {
      dir = join(dir, segment);
      const st = lstatOrNull(dir);
      if (st === null) mkdirSync(dir);
      else if (st.isSymbolicLink()) throw new Error(`warm path ${path}: ${dir} is a symbolic link${parsed.base === 'workspace' ? ' in the checkout' : ''}; the directories above a warm path must be real directories`);
      else if (!st.isDirectory()) throw new Error(`warm path ${path}: ${dir} is a file, not a directory`);
    }
    const existing = lstatOrNull(target);
    if (existing !== null) {
      // An empty directory in HOME (made by the machine image) is replaced; anything else would hide
      // files the job expects, or be checked-out content the warm data would silently shadow.
      if (parsed.base === 'home' && existing.isDirectory() && readdirSync(target).length === 0) rmdirSync(target);
      else if (parsed.base === 'workspace') throw new Error(`warm path ${path} exists in the checkout; a warm path must be something the build creates (e.g. target), not a tracked path: remove it from the repository or from the runtime's warmPaths`);
      else throw new Error(`warm path ${path} (${target}) already exists in the job's HOME and is not an empty directory; remove it from the machine image or from the runtime's warmPaths`);
    }
    symlinkSync(volumeDir, target, 'dir');
    ctx.system(step, `warm paths: ${path} -> ${volumeDir} (symbolic link)`);
  });
}

/** True when `a` and `b` are the same directory or one is inside the other. */
function overlaps(a: string, b: string): boolean {
  const inside = (x: string, y: string) => {
    const r = relative(y, x);
    return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !r.startsWith(sep));
  };
  return inside(a, b) || inside(b, a);
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
