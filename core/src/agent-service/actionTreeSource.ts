/** Where the agent service finds a remote action's files (a tar of the repository at `sha`). */
export interface ActionTreeSource {
  /** A readable tar file path for `repo` at `sha`, or null when the host does not have it. */
  tarFile(repo: string, sha: string): Promise<string | null>;
}
