/**
 * Git checkout of the job's repository at a SHA or ref: init, fetch (shallow or full), detached
 * checkout, submodules. The clone credential goes to git in its environment only, never in argv.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describeResult, type JobContext } from './jobContext.js';

const SAFE_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Fetches `target` (a SHA, branch, tag or ref) into `dir` and checks it out detached; logs under `step`. */
export async function checkout(job: JobContext, step: string, dir: string, target: string, depth: number, submodules: string): Promise<boolean> {
  const url = job.spec.repository.cloneUrl;
  if (url.startsWith('-') || /[\r\n]/.test(url)) throw new Error(`refusing clone URL ${JSON.stringify(url)}`);
  if (!SAFE_SHA.test(target) && !/^(?!-)(?!.*\.\.)[A-Za-z0-9._/@+-]+$/.test(target)) {
    throw new Error(`ref ${JSON.stringify(target)} is not a valid git ref or SHA`);
  }
  const git = (args: string[]) => runGit(job, step, dir, args);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, '.git'))) {
    if (!(await git(['init', '-q']))) return false;
    if (!(await git(['remote', 'add', 'origin', '--', url]))) return false;
  }
  const shallow = existsSync(join(dir, '.git', 'shallow'));
  if (depth <= 0) {
    const args = ['fetch', '--no-tags', '--prune', '--no-recurse-submodules'];
    if (shallow) args.push('--unshallow');
    args.push('origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
    if (!(await git(args))) return false;
  }
  const fetch = ['fetch', '--no-tags', '--no-recurse-submodules'];
  if (depth > 0) fetch.push(`--depth=${depth}`);
  fetch.push('origin', target);
  if (!(await git(fetch))) return false;
  if (!(await git(['checkout', '-q', '--force', '--detach', 'FETCH_HEAD']))) return false;
  if (submodules === 'true' || submodules === 'recursive') {
    if (!(await git(['submodule', 'sync', ...(submodules === 'recursive' ? ['--recursive'] : [])]))) return false;
    const update = ['submodule', 'update', '--init', '--force'];
    if (submodules === 'recursive') update.push('--recursive');
    if (depth > 0) update.push(`--depth=${depth}`);
    if (!(await git(update))) return false;
  }
  return true;
}

async function runGit(job: JobContext, step: string, cwd: string, args: string[]): Promise<boolean> {
  const r = await job.exec(step, ['git', ...args], cwd, gitEnv(job), null);
  if (r.exit !== 0) job.system(step, `##[error]git ${args[0]} failed (${describeResult(r)})`);
  return r.exit === 0;
}

/** git with the clone credential in the environment only (GIT_CONFIG_*), never in argv. */
function gitEnv(job: JobContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...job.baseEnv, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
  const token = job.spec.repository.token;
  const cloneUrl = job.spec.repository.cloneUrl;
  let n = 0;
  if (token) {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    env[`GIT_CONFIG_KEY_${n}`] = 'http.extraHeader';
    env[`GIT_CONFIG_VALUE_${n}`] = `AUTHORIZATION: basic ${basic}`;
    n++;
  }
  if (cloneUrl.startsWith('file://') || isAbsolute(cloneUrl)) {
    // Local clones (tests, mirrors): let submodules use the file transport too.
    env[`GIT_CONFIG_KEY_${n}`] = 'protocol.file.allow';
    env[`GIT_CONFIG_VALUE_${n}`] = 'always';
    n++;
  }
  env.GIT_CONFIG_COUNT = String(n);
  return env;
}
