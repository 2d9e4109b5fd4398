/** What a job's secrets are looked up for. */
export interface SecretScope {
  /** `owner/name` of the repository the job belongs to. */
  repo: string;
  /** The triggering event name (`push`, `pull_request`, ...); backends may scope by it. */
  event: string;
  /** The names the job references (`secrets.NAME`); only these are returned. */
  names: string[];
  /**
   * The job's deployment environment (`environment:`), when it has one: environment-scoped values
   * win over repository and global ones, as on GitHub. Backends without that level ignore it.
   */
  environment?: string;
}

/**
 * A secrets backend. The kernel decides *whether* a job may see secrets (never an untrusted fork
 * PR) and masks every value; the backend only looks values up.
 *
 * Two namespaces that never overlap, in every backend:
 * - CONFIG secrets (`read`): the server's own credentials, written `{ secret: github/app-key }` in
 *   helios.yaml (forge tokens, webhook secrets, the GitHub App key). Only the kernel reads them.
 * - JOB secrets (`resolve`): what workflows ask for as `${{ secrets.NAME }}`.
 * A config ref is never resolvable as a job secret and a job secret is never readable as a config
 * ref, so no workflow can ask for the server's credentials by name. On top of that the kernel
 * refuses (at dispatch) a job secret whose value equals a config secret's value.
 */
export interface Secrets {
  /**
   * JOB secrets: values for the requested names that exist (environment-scoped values win over
   * repository-scoped ones, which win over global ones). Names not found are absent, or — for a backend configured to fail on a missing
   * secret — `E_SECRET_NOT_FOUND` naming the secret and where it was looked for (never a value).
   * Names must match `^[A-Za-z_][A-Za-z0-9_]*$`, else `E_SECRET_NAME_INVALID`.
   */
  resolve(scope: SecretScope): Promise<Record<string, string>>;
  /**
   * One CONFIG secret by reference (config values written `{ secret: github/app-key }`);
   * `undefined` when the reference does not exist. Never looks in the job namespace.
   */
  read(ref: string): Promise<string | undefined>;
}

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
