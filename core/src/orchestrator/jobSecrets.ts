import type { JobPlan, Secrets } from '@helios-ci/sdk';

/**
 * The secrets a job sees, by the names it reads. A job of a called workflow reads names its caller
 * mapped (`secretSources`: `secrets: { TOKEN: ${{ secrets.DEPLOY_TOKEN }} }`): the backend is
 * asked for the caller's names and the values are given back under the job's. A job with an
 * `environment:` asks for that environment's level too (it wins over the repository's).
 */
export async function resolveJobSecrets(secrets: Secrets, scope: { repo: string; event: string }, plan: JobPlan): Promise<Record<string, string>> {
  // GITHUB_TOKEN is the job's forge token (jobToken.ts), never read from a secrets backend.
  const names = plan.secretNames.filter((n) => n !== 'GITHUB_TOKEN');
  const sources = plan.secretSources ?? Object.fromEntries(names.map((n) => [n, n]));
  const wanted = [...new Set(names.map((n) => sources[n]).filter((n): n is string => n !== undefined && n !== '' && n !== 'GITHUB_TOKEN'))].sort();
  if (wanted.length === 0) return {};
  const found = await secrets.resolve({ ...scope, names: wanted, ...(plan.environment && { environment: plan.environment.name }) });
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = found[sources[name] ?? ''];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
