import { createHash } from 'node:crypto';

/**
 * What a job token is kept as (never the token itself): what a restarted control re-adopts a job by.
 * Its own module so the orchestrator can use it without loading the agent service (and gRPC) at CLI start.
 */
export const jobTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');
