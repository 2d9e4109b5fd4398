import { isHeliosError, type Forge, type JobPlan, type JobToken, type Logger } from '@helios-ci/sdk';
import type { RunRecord } from '../store/index.js';
import { jobTokenPermissions } from './jobTokenPermissions.js';

interface Sink {
  system(text: string): void;
}

const mentionsToken = (plan: JobPlan) => plan.secretNames.includes('GITHUB_TOKEN');

/**
 * The job's GITHUB_TOKEN (Forge.jobToken) for a trusted run of a forge that mints them, narrowed
 * to the job's permissions. None for untrusted runs (fork pull requests), runs without a forge, or
 * forges without job tokens (Forgejo); a forge refusing the permissions leaves the job without one
 * and says why in its log — the job runs on, as steps that need no token still work.
 */
export async function openJobToken(run: RunRecord, plan: JobPlan, forges: readonly Forge[], sink: Sink, logger: Logger): Promise<JobToken | null> {
  if (run.forge === null) return null;
  const forge = forges.find((f) => f.id === run.forge);
  if (!forge) return null;
  if (!run.trusted) {
    if (mentionsToken(plan)) sink.system('Helios: this run is untrusted (fork pull request): its steps get no GITHUB_TOKEN');
    return null;
  }
  if (!forge.jobToken) {
    if (mentionsToken(plan)) sink.system(`Helios: forge ${forge.id} mints no job tokens: steps get no GITHUB_TOKEN (secrets.GITHUB_TOKEN is empty)`);
    return null;
  }
  const permissions = jobTokenPermissions(plan);
  try {
    const token = await forge.jobToken(run.repo, permissions);
    const granted = Object.entries(token.permissions).map(([k, v]) => `${k}: ${v}`).sort().join(', ');
    sink.system(`Helios: GITHUB_TOKEN for ${run.repo.owner}/${run.repo.name} with ${granted || 'no permissions'}${plan.permissions === undefined ? ' (no permissions: in the workflow; the restricted default)' : ''}`);
    return token;
  } catch (err) {
    const what = `${isHeliosError(err) ? `${err.code}: ` : ''}${(err as Error).message}`;
    sink.system(`Helios: no GITHUB_TOKEN for this job: ${what}`);
    logger.warn('job token not created', { runId: run.id, error: what });
    return null;
  }
}

/** Revokes a job's token at its end; a failure is logged (the token expires within the hour anyway). */
export async function closeJobToken(token: JobToken | null, logger: Logger, jobId: string): Promise<void> {
  if (!token) return;
  try {
    await token.revoke();
  } catch (err) {
    logger.warn('job token not revoked; it expires by itself', { jobId, error: (err as Error).message });
  }
}
