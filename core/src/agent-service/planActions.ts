/** Which remote action trees a job may fetch: only those its plan runs. */
import { remoteActions, type Step } from '@helios-ci/sdk';

/** True when the plan runs `repo` at `sha` (nested composite steps included). */
export function planNamesAction(steps: readonly Step[], repo: string, sha: string): boolean {
  return remoteActions(steps).some((a) => a.repo === repo && a.sha === sha);
}
