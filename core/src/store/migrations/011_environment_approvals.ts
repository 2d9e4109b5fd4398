/**
 * Migration 11: approvals also hold jobs of a deployment environment that requires approval
 * (helios.yaml `environments.<name>.approval`): such a row names the job and the environment, and
 * has pr_number 0 (it belongs to no pull request, and never supersedes or is superseded).
 * FROZEN once released.
 */
export const name = 'environment_approvals';

export const sql = `
ALTER TABLE approvals ADD COLUMN job_id TEXT;
ALTER TABLE approvals ADD COLUMN environment TEXT;
CREATE UNIQUE INDEX approvals_by_job ON approvals (job_id) WHERE job_id IS NOT NULL;
`;
