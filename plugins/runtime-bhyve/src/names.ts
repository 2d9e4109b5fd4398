/**
 * Names of a job's zone, VNIC and files, derived from the job id and checked against illumos's rules
 * before any command sees them.
 *
 *   zone  `<prefix>-<jobId>`   zonename rules: at most 63 characters (ZONENAME_MAX 64 with the NUL),
 *                              first an alphanumeric, then `[A-Za-z0-9_.-]`; `global` and `SUNW*` reserved.
 *   VNIC  `<prefix><hash12>0`  link name rules: at most 31 characters (MAXLINKNAMELEN 32), letters,
 *                              digits, `_` and `.` only, starting with a letter and ending in a digit
 *                              (the PPA). A UUID job id does not fit, so the name is a hash of the zone
 *                              name; the machine record keeps the pairing.
 */
import { createHash } from 'node:crypto';
import { bhyveErrors } from './errors.js';

export const ZONE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const LINK_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,29}[0-9]$/;
/** The configured prefix: short enough to leave room for a UUID job id in a zone name. */
export const NAME_PREFIX = /^[a-z][a-z0-9]{0,11}$/;
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function checkZoneName(name: string): string {
  if (!ZONE_NAME.test(name) || name === 'global' || name.startsWith('SUNW')) {
    throw bhyveErrors.create('E_BHYVE_NAME_INVALID', `runtime-bhyve: ${JSON.stringify(name)} is not a valid zone name (1-63 of [A-Za-z0-9_.-], starting alphanumeric, not "global" or SUNW*); nothing was run`);
  }
  return name;
}

export function checkLinkName(name: string): string {
  if (!LINK_NAME.test(name)) {
    throw bhyveErrors.create('E_BHYVE_NAME_INVALID', `runtime-bhyve: ${JSON.stringify(name)} is not a valid link name (2-31 of [A-Za-z0-9_.], starting with a letter, ending in a digit); nothing was run`);
  }
  return name;
}

export interface MachineNames {
  zone: string;
  vnic: string;
}

/** The zone and VNIC names of a job on this instance. */
export function machineNames(prefix: string, jobId: string): MachineNames {
  if (!JOB_ID.test(jobId) || jobId.includes('..')) {
    throw bhyveErrors.create('E_BHYVE_NAME_INVALID', `runtime-bhyve: job id ${JSON.stringify(jobId.slice(0, 80))} has characters a zone name cannot hold; nothing was run`);
  }
  const zone = checkZoneName(`${prefix}-${jobId}`);
  return { zone, vnic: vnicOf(prefix, zone) };
}

export function vnicOf(prefix: string, zone: string): string {
  return checkLinkName(`${prefix}${createHash('sha256').update(zone).digest('hex').slice(0, 12)}0`);
}

/** The job id in one of our zone names, or null when the name is not ours. */
export function jobIdOfZone(prefix: string, zone: string): string | null {
  if (!zone.startsWith(`${prefix}-`) || !ZONE_NAME.test(zone)) return null;
  const jobId = zone.slice(prefix.length + 1);
  return JOB_ID.test(jobId) ? jobId : null;
}

/** True for a VNIC name this instance makes (prefix, 12 hex digits, `0`). */
export function isOurVnic(prefix: string, link: string): boolean {
  return new RegExp(`^${prefix}[0-9a-f]{12}0$`).test(link);
}
