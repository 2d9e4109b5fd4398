import type { CheckConclusion, CheckJob } from '@helios-ci/sdk';

/** Forgejo's CommitStatusState values (modules/structs/commit_status.go). */
export type StatusState = 'pending' | 'success' | 'error' | 'failure' | 'warning';

/** The body of POST /repos/{owner}/{repo}/statuses/{sha} (CreateStatusOption); all fields sent. */
export interface StatusBody {
  state: StatusState;
  target_url: string;
  description: string;
  context: string;
}

/** GitHub caps descriptions at 140 characters; Forgejo's UI shows about as much, so Helios does too. */
export const MAX_DESCRIPTION = 140;

export const WAITING_FOR_APPROVAL = 'Waiting for approval: a writer comments /helios approve';

/** Cuts to `max` characters (code points, so no emoji is split), ending with … when cut. */
export function truncate(text: string, max = MAX_DESCRIPTION): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= max ? chars.join('') : chars.slice(0, max - 1).join('') + '…';
}

/** The status context for a job: the template with {workflow} and {job} filled in. */
export function contextFor(template: string, job: Pick<CheckJob, 'workflowName' | 'jobName'>): string {
  return template.replaceAll('{workflow}', job.workflowName).replaceAll('{job}', job.jobName);
}

/** Description with an annotation count that survives truncation of the main text. */
export function describe(main: string, annotations = 0): string {
  if (annotations <= 0) return truncate(main);
  const suffix = ` · ${annotations} annotation${annotations === 1 ? '' : 's'}`;
  return truncate(main, MAX_DESCRIPTION - suffix.length) + suffix;
}

/** `title` if it already says `word`, else `word: title` (or just `word`). */
function leading(word: string, title: string): string {
  const t = title.trim();
  if (!t) return word;
  return t.toLowerCase().startsWith(word.toLowerCase()) ? t : `${word}: ${t}`;
}

/**
 * A final check result as a commit status. Forgejo has four useful states, so cancelled and timed
 * out become `error` (the job did not produce a verdict) with a description saying which;
 * neutral and skipped do not block a merge, so they are `success` with a description saying so.
 */
export function finalStatus(conclusion: CheckConclusion, title: string): { state: StatusState; description: string } {
  switch (conclusion) {
    case 'success':
      return { state: 'success', description: title.trim() || 'Succeeded' };
    case 'failure':
      return { state: 'failure', description: title.trim() || 'Failed' };
    case 'cancelled':
      return { state: 'error', description: leading('Cancelled', title) };
    case 'timed_out':
      return { state: 'error', description: leading('Timed out', title) };
    case 'action_required':
      return { state: 'pending', description: WAITING_FOR_APPROVAL };
    case 'skipped':
      return { state: 'success', description: leading('Skipped', title) };
    case 'neutral':
      return { state: 'success', description: title.trim() || 'Neutral: no verdict' };
    default:
      return { state: 'error', description: leading(`Unknown conclusion ${String(conclusion)}`, title) };
  }
}
