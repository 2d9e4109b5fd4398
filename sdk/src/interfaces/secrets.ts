/** What a job's secrets are looked up for. */
export interface SecretScope {
  /** `owner/name` of the repository the job belongs to. */
  repo: string;
  /** The triggering event name (`push`, `pull_request`, ...); backends may scope by it. */
  event: string;
  /** The names the job references (`secrets.NAME`); only these are returned. */
  names: string[];
}

/**
 * A secrets backend. The kernel decides *whether* a job may see secrets (never an untrusted fork
 * PR) and masks every value; the backend only looks values up.
 */
export interface Secrets {
  /**
   * Values for the requested names that exist (repository-scoped values win over global ones).
   * Names not found are simply absent. Names must match `^[A-Za-z_][A-Za-z0-9_]*$`, else
   * `E_SECRET_NAME_INVALID`.
   */
  resolve(scope: SecretScope): Promise<Record<string, string>>;
  /**
   * One value by reference (config values written `{ secret: github/app-key }`); `undefined` when
   * the reference does not exist.
   */
  read(ref: string): Promise<string | undefined>;
}

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
