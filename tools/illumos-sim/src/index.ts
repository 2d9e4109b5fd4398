/** The simulator as a library, for tests that drive it in-process or need its paths. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { SimState } from './state.js';
export type { ZoneRecord, LinkRecord, ZoneState } from './state.js';
export { FAULT_KINDS } from './faults.js';
export type { Fault, FaultKind } from './faults.js';

/** Absolute paths of the simulator's executables (for a runtime's `commands:` config). */
export const simCommands = (() => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin');
  return { zonecfg: join(bin, 'zonecfg'), zoneadm: join(bin, 'zoneadm'), dladm: join(bin, 'dladm'), zfs: join(bin, 'zfs'), control: join(bin, 'illumos-sim') };
})();
