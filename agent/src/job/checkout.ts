/**
 * Git checkout of the job's repository into a directory of the workspace, from the job's private
 * mirror (cloneMirror.ts) and with no credential: init, fetch (shallow or full), detached checkout,
 * submodules. `origin` is the repository's own URL (without any credential) so that tools reading it
 * see the real repository; the mirror is only ever named on the command line.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { localTransport, type CloneMirror } from './cloneMirror.js';
import { runGit } from './git.js';
import { gitConfigValue } from './gitConfigValue.js';
import type { JobContext } from './jobContext.js';

/** Fetches commit `sha` from the mirror into `dir` and checks it out detached; logs under `step`. */
export async function checkout(job: JobContext, mirror: CloneMirror, step: string, dir: string, sha: string, depth: number, submodules: string): Promise<boolean> {
  const origin = job.spec.repository.cloneUrl;
  if (origin.startsWith('-') || /[\r\n]/.test(origin)) throw new Error(`refusing clone URL ${JSON.stringify(origin)}`);
  const git = (args: string[]) => runGit(job, step, dir, args, localTransport(origin));
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, '.git'))) {
    if (!(await git(['init', '-q']))) return false;
    // What `git remote add origin -- <origin>` writes, appended to the fresh repository's config
    // without starting git a second time.
    appendFileSync(join(dir, '.git', 'config'), `[remote "origin"]\n\turl = ${gitConfigValue(origin)}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
  }
  const from = `file://${mirror.dir}`;
  const shallow = existsSync(join(dir, '.git', 'shallow'));
  if (depth <= 0) {
    const args = ['fetch', '-q', '--no-tags', '--prune', '--no-recurse-submodules', '--no-write-fetch-head'];
    if (shallow) args.push('--unshallow');
    args.push('--', from, '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
    if (!(await git(args))) return false;
  }
  const fetch = ['fetch', '-q', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head'];
  if (depth > 0) fetch.push(`--depth=${depth}`);
  fetch.push('--', from, sha);
  if (!(await git(fetch))) return false;
  if (!(await git(['checkout', '-q', '--force', '--detach', sha]))) return false;
  if (submodules === 'true' || submodules === 'recursive') {
    // Submodules come from their own URLs, without a credential (there is none any more).
    if (!(await git(['submodule', 'sync', ...(submodules === 'recursive' ? ['--recursive'] : [])]))) return false;
    const update = ['submodule', 'update', '--init', '--force'];
    if (submodules === 'recursive') update.push('--recursive');
    if (depth > 0) update.push(`--depth=${depth}`);
    if (!(await git(update))) {
      job.system(step, '##[error]Submodules are fetched from their own URLs without a credential: the clone credential is discarded before the first step runs. Private submodules are not supported; make them public or vendor them.');
      return false;
    }
  }
  return true;
}
