/** Whether jobs of a deployment environment wait for a writer's approval before they start. */
export type EnvironmentApproval = (environment: string) => boolean;

/** From helios.yaml `environments.<name>.approval` (names case-insensitive, as on GitHub). */
export function environmentApprovalOf(config: Record<string, { approval: boolean }>): EnvironmentApproval {
  const required = new Set(Object.entries(config).filter(([, v]) => v.approval).map(([k]) => k.toLowerCase()));
  return (environment) => required.has(environment.toLowerCase());
}

/** The approval id of a job held for its environment (one per job). */
export const environmentApprovalId = (jobId: string) => `env-${jobId}`;
