import { createHash } from 'node:crypto';
import { HeliosError, type SecretScope, type Secrets } from '@helios-ci/sdk';

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * The values of the server's own secrets (every `{ secret | env | file }` reference in helios.yaml),
 * kept as SHA-256 digests so this set is not one more plain copy of them.
 */
export class ConfigSecretValues {
  private readonly digests = new Set<string>();

  add(value: string): void {
    if (value.length > 0) this.digests.add(digest(value));
  }

  has(value: string): boolean {
    return this.digests.size > 0 && value.length > 0 && this.digests.has(digest(value));
  }
}

/**
 * Job secrets as the orchestrator sees them: the backend's `resolve`, refusing any value that is
 * also a config secret. Separate namespaces stop `secrets.FORGEJO_TOKEN` from reading the server's
 * token by name; this stops an operator's copy of it under a job name (a mistake, or a job secret
 * set to the bot token) from handing it to a workflow. The error names the secret, never the value.
 */
export class JobSecretGuard implements Secrets {
  constructor(
    private readonly backend: Secrets,
    private readonly config: ConfigSecretValues,
  ) {}

  async resolve(scope: SecretScope): Promise<Record<string, string>> {
    const values = await this.backend.resolve(scope);
    const clashing = Object.keys(values).filter((name) => this.config.has(values[name]!));
    if (clashing.length) {
      throw new HeliosError(
        'E_SECRET_IS_CONFIG_SECRET',
        `job secret${clashing.length > 1 ? 's' : ''} ${clashing.join(', ')} ha${clashing.length > 1 ? 've' : 's'} the same value as one of the server's own config secrets (a forge token, webhook secret or key); it is refused so no workflow can hold the server's credentials. Give the job its own credential with only the rights it needs.`,
        { facts: { names: clashing, repo: scope.repo } },
      );
    }
    return values;
  }

  read(ref: string): Promise<string | undefined> {
    return this.backend.read(ref);
  }
}
