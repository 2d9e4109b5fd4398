/**
 * Where remote actions come from: a forge (the run's, or another instance that mirrors actions) or
 * a directory of git repositories on this host. Sources are tried in order (helios.yaml
 * `actions.sources`).
 */

/** A repository archive at one commit, as a source hands it over. */
export interface ActionArchive {
  /** A tar (gzip-compressed when `gzip`) whose entries all sit under one top directory. */
  bytes: Uint8Array;
  gzip: boolean;
}

export interface ActionSource {
  /** For messages: `forge github`, `directory /srv/actions`. */
  readonly name: string;
  /** The commit `ref` (branch, tag or sha) names in `owner/name`; null when the source has no such repository or ref. */
  resolve(owner: string, name: string, ref: string): Promise<string | null>;
  /** The repository at `sha`; null when the source does not have it. */
  archive(owner: string, name: string, sha: string): Promise<ActionArchive | null>;
}
