import type { CheckJob } from '@helios-ci/sdk';

/**
 * The check run name from the template: `{workflow}` and `{job}` are replaced (the kernel's job name
 * already ends in ` (<matrix values>)` for matrix jobs, as GitHub Actions names them). Unknown
 * placeholders stay as written so a typo is visible in the UI rather than silently dropped.
 */
export function renderCheckName(template: string, job: Pick<CheckJob, 'workflowName' | 'jobName'>): string {
  const name = template.replace(/\{(workflow|job)\}/g, (_, key: string) => (key === 'workflow' ? job.workflowName : job.jobName)).trim();
  return name.length > 0 ? name : job.jobName;
}
