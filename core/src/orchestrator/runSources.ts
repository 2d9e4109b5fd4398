import { fileURLToPath } from 'node:url';
import { HeliosError, type Forge, type RepoRef } from '@helios-ci/sdk';
import type { RunRecord } from '../store/index.js';

/**
 * Where a run's code comes from. Forge runs ask their forge for a short-lived clone credential at
 * dispatch; local and API runs (forge null) carry their clone URL in `repo.id`.
 */
export async function cloneAccessFor(run: RunRecord, forges: readonly Forge[]): Promise<{ url: string; token?: string }> {
  if (run.forge === null) {
    if (!run.repo.id) throw new HeliosError('E_RUN_SOURCE', `run ${run.id} has no clone URL; it was created without a repository URL`);
    return { url: run.repo.id };
  }
  const forge = forges.find((f) => f.id === run.forge);
  if (!forge) {
    throw new HeliosError('E_FORGE_NOT_CONFIGURED', `run ${run.id} came from forge "${run.forge}", which is no longer configured; re-add it to helios.yaml`);
  }
  // Untrusted runs (approved fork pull requests) must get no write-capable credential (DESIGN §7).
  return forge.cloneAccess(run.repo, { trusted: run.trusted });
}

export function localRepoRef(name: string, cloneUrl: string): RepoRef {
  return { owner: 'local', name, id: cloneUrl };
}

/** MachineSpec.sourceDir for a `file://` clone URL (local and API runs): the directory it names. */
export function sourceDirOf(cloneUrl: string): { sourceDir?: string } {
  if (!cloneUrl.startsWith('file://')) return {};
  try {
    return { sourceDir: fileURLToPath(cloneUrl) };
  } catch {
    return {};
  }
}
