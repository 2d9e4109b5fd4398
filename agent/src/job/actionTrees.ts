/**
 * The remote actions a job runs: their repositories' trees fetched from the server (FetchAction)
 * before the first step, once per commit, into `<workdir>/_actions/<owner>/<name>/<sha>/` (GitHub's
 * runner keeps them beside `_temp` too). The agent needs no network access of its own for them.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { remoteActions, type RemoteActionRef } from '@helios-ci/sdk';
import type { JobContext } from './jobContext.js';

const SHA = /^[0-9a-f]{40}$/;
const NAME = /^[A-Za-z0-9_.-]+$/;

/** `<workdir>/_actions/<owner>/<name>/<sha>`: where the repository of `action` is unpacked. */
export function actionRoot(job: JobContext, action: RemoteActionRef): string {
  const [owner, name, ...rest] = action.repo.split('/');
  if (!owner || !name || rest.length > 0 || !NAME.test(owner) || !NAME.test(name) || /^\.+$/.test(owner) || /^\.+$/.test(name)) {
    throw new Error(`remote action ${JSON.stringify(action.repo)} is not owner/name`);
  }
  if (!SHA.test(action.sha)) throw new Error(`remote action ${action.repo}: ${JSON.stringify(action.sha)} is not a 40-hex commit`);
  return join(job.opts.workDir, '_actions', owner, name, action.sha);
}

/** The action's own directory: its repository tree plus `path` (never outside the tree). */
export function actionDir(job: JobContext, action: RemoteActionRef): string {
  const root = actionRoot(job, action);
  const parts = action.path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new Error(`remote action ${action.repo}: path ${JSON.stringify(action.path)} leaves the repository`);
  return join(root, ...parts);
}

/** The first seven hex digits of the commit an action runs, as the job log shows it. */
export const shortSha = (sha: string): string => sha.slice(0, 7);

/** Fetches and unpacks each distinct (repo, sha) of the plan; logs one line per tree on `step`. */
export async function fetchActionTrees(job: JobContext, step: string): Promise<void> {
  const seen = new Set<string>();
  for (const action of remoteActions(job.spec.job.steps)) {
    const key = `${action.repo}@${action.sha}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const root = actionRoot(job, action);
    const started = Date.now();
    await job.killable(async (signal) => {
      const download = await job.conn.storage(signal).fetchAction(action.repo, action.sha);
      if (!download.header.found) throw new Error(`the server has no files for ${key}`);
      const staging = `${root}.partial`;
      await rm(staging, { recursive: true, force: true });
      await mkdir(staging, { recursive: true });
      try {
        // strict: a cut-off or corrupt tar fails the job's set-up instead of running half an action.
        // node-tar refuses entries with absolute paths or `..`, absolute link targets, and never
        // writes through a symlink: a tree cannot place files outside its directory.
        await pipeline(download.body, tar.x({ cwd: staging, strict: true, preserveOwner: false }));
        await rm(root, { recursive: true, force: true });
        await rename(staging, root);
      } catch (err) {
        throw new Error(`the files of action ${key} cannot be unpacked: ${(err as Error).message}`);
      } finally {
        // A refused entry ends the pipeline while earlier writes may still land: retry the removal.
        await rm(staging, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => undefined);
      }
      job.system(step, `Fetched action ${action.repo}@${shortSha(action.sha)} (${download.header.size} bytes, ${Date.now() - started} ms)`);
    });
  }
}
