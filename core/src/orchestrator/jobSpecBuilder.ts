import { PLAN_VERSION, type ActionsRuntimeAccess, type JobPlan, type JobSpec } from '@helios-ci/sdk';
import type { RunRecord } from '../store/index.js';

export interface JobSpecInput {
  run: RunRecord;
  jobId: string;
  plan: JobPlan;
  needs: JobSpec['needs'];
  secrets: Record<string, string>;
  clone: { url: string; token?: string };
  publicUrl: string;
  /** The label's warm paths, when a warm volume was opened for them. */
  warmPaths?: readonly string[];
  /** The actions runtime services for this job (URLs and its token). */
  actionsRuntime?: ActionsRuntimeAccess;
}

/** The `github` context a job sees, from what the run knows (GitHub's field names). */
export function githubContext(run: RunRecord, plan: JobPlan | null, publicUrl: string): Record<string, unknown> {
  const fullName = `${run.repo.owner}/${run.repo.name}`;
  const ref = run.ref;
  const refType = ref.startsWith('refs/tags/') ? 'tag' : 'branch';
  return {
    event_name: run.event,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
    ref_type: refType,
    sha: run.sha,
    repository: fullName,
    repository_owner: run.repo.owner,
    run_id: run.id,
    run_attempt: '1',
    server_url: publicUrl,
    // In a called workflow github.job is the called job's own key, as on GitHub.
    job: plan?.jobKey.split('/').pop() ?? '',
    workflow: plan?.workflow.name ?? '',
    event: run.plan.event,
    head_ref: run.plan.event.headRef?.replace(/^refs\/heads\//, '') ?? '',
    base_ref: run.event === 'pull_request' ? ref.replace(/^refs\/heads\//, '') : '',
    actor: (run.plan.event as { actor?: string }).actor ?? '',
  };
}

export function buildJobSpec(input: JobSpecInput): JobSpec {
  const { run, plan } = input;
  return {
    planVersion: PLAN_VERSION,
    runId: run.id,
    jobId: input.jobId,
    job: plan,
    repository: {
      fullName: `${run.repo.owner}/${run.repo.name}`,
      cloneUrl: input.clone.url,
      ...(input.clone.token ? { token: input.clone.token } : {}),
      sha: run.sha,
      ref: run.ref,
    },
    // github.token is the job's forge token (secrets.GITHUB_TOKEN, minted by the orchestrator), else empty as on GitHub without one.
    github: { ...githubContext(run, plan, input.publicUrl), ...(input.secrets.GITHUB_TOKEN ? { token: input.secrets.GITHUB_TOKEN } : {}) },
    needs: input.needs,
    // Jobs of a called workflow see the call's inputs; the others the event's.
    inputs: plan.inputs ?? run.plan.event.inputs ?? {},
    vars: {},
    secrets: input.secrets,
    ...(input.warmPaths?.length ? { warmPaths: [...input.warmPaths] } : {}),
    ...(input.actionsRuntime ? { actionsRuntime: input.actionsRuntime } : {}),
  };
}
