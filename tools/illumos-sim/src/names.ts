/**
 * Name rules of illumos: zone names (zonecfg(8): up to 63 characters, alphanumeric first, then
 * alphanumerics, '-', '_' and '.'; "global" and names starting with "SUNW" are reserved) and datalink
 * names (libdladm dladm_valid_linkname: under MAXLINKNAMELEN = 32 bytes, not starting with a digit,
 * ending with a digit, only alphanumerics, '_' and '.').
 */
export const ZONENAME_MAX = 63;
export const LINKNAME_MAX = 31;

export function zoneNameProblem(name: string): string | null {
  if (name === 'global') return `'global' is reserved for the global zone`;
  if (name.startsWith('SUNW')) return `names beginning with 'SUNW' are reserved`;
  if (name.length === 0 || name.length > ZONENAME_MAX) return `a zone name has 1 to ${ZONENAME_MAX} characters`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) return `a zone name must begin with an alphanumeric character and contain only alphanumerics, '-', '_' and '.'`;
  return null;
}

export function linkNameValid(name: string): boolean {
  return name.length > 0 && name.length <= LINKNAME_MAX && /^[A-Za-z0-9_.]*[0-9]$/.test(name) && !/^[0-9]/.test(name);
}

/** A ZFS dataset name (no snapshot part). */
export function datasetNameValid(name: string): boolean {
  return name.length <= 255 && /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9][A-Za-z0-9_.:-]*)*$/.test(name) && !name.split('/').includes('..');
}
