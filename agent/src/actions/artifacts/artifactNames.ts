/** Artifact name and file path checks: @actions/artifact's rules and messages, from the sdk. */
import { artifactFilePathProblem, artifactNameProblem } from '@helios-ci/sdk';

export function validateArtifactName(name: string): void {
  const problem = artifactNameProblem(name);
  if (problem) throw new Error(problem);
}

export function validateFilePath(path: string): void {
  const problem = artifactFilePathProblem(path);
  if (problem) throw new Error(problem);
}
