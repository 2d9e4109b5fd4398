import type { JobPlan } from '@helios-ci/sdk';

/**
 * What a job's GITHUB_TOKEN may do when neither the job nor its workflow has `permissions:`:
 * GitHub's "restricted" default (contents: read; metadata is always read) without its
 * `packages: read` — a GitHub App installation usually lacks the packages permission, and GitHub
 * refuses a whole token that asks for one it lacks. A workflow that wants it says `packages: read`.
 */
export const RESTRICTED_DEFAULT: Readonly<Record<string, 'read' | 'write'>> = { contents: 'read' };

/** The scopes `read-all` / `write-all` cover (GitHub's GITHUB_TOKEN scopes, API names). */
const ALL_SCOPES = ['actions', 'checks', 'contents', 'deployments', 'discussions', 'issues', 'packages', 'pages', 'pull_requests', 'repository_projects', 'security_events', 'statuses'];

/** Workflow scopes that are no installation-token permission (OIDC): never asked for. */
const NOT_TOKEN_SCOPES = new Set(['id-token']);

/**
 * The installation-token permissions for a job: its `permissions:` (else the workflow's, as planned)
 * in the API's names (`pull-requests` → `pull_requests`), `none` left out; the restricted default
 * when neither says. An empty result (e.g. `permissions: {}`) still yields a token: metadata read.
 */
export function jobTokenPermissions(plan: Pick<JobPlan, 'permissions'>): Record<string, 'read' | 'write'> {
  const p = plan.permissions;
  if (p === undefined) return { ...RESTRICTED_DEFAULT };
  if (p === 'read-all' || p === 'write-all') {
    const level = p === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(ALL_SCOPES.map((s) => [s, level]));
  }
  const out: Record<string, 'read' | 'write'> = {};
  for (const [scope, level] of Object.entries(p)) {
    if (level === 'none' || NOT_TOKEN_SCOPES.has(scope)) continue;
    out[scope.replace(/-/g, '_')] = level;
  }
  return out;
}
