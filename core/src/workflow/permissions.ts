import type { JobPlan } from '@helios-ci/sdk';

type Permissions = NonNullable<JobPlan['permissions']>;

/**
 * `permissions:` as written (already checked by the workflow schema): `read-all`, `write-all` or a
 * map of scope → read/write/none. Null when absent or not one of those (the schema reports it).
 */
export function permissionsOf(written: unknown): Permissions | null {
  if (written === 'read-all' || written === 'write-all') return written;
  if (!written || typeof written !== 'object' || Array.isArray(written)) return null;
  const out: Record<string, 'read' | 'write' | 'none'> = {};
  for (const [scope, level] of Object.entries(written as Record<string, unknown>)) {
    if (level === 'read' || level === 'write' || level === 'none') out[scope] = level;
  }
  return out;
}

/** The plan field: absent when neither the job nor its workflow says (plans without it stay as they were). */
export function permissionsField(p: Permissions | null): { permissions?: Permissions } {
  return p === null ? {} : { permissions: p };
}
