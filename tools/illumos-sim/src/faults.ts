/**
 * Faults injected on demand, armed with `illumos-sim fault add KIND ...` (kept in the state dir,
 * consumed one firing at a time when a count is given) or by the environment variable
 * HELIOS_ILLUMOS_SIM_FAULTS="KIND[=SECONDS][@PREFIX],..." (never consumed).
 *
 *   boot-fail       zoneadm boot fails (bhyve exits at start); zone.log and init.log say why
 *   guest-no-agent  the VM boots, but cloud-init finds no datasource: the user-data never runs
 *   slow-install    zoneadm install takes SECONDS (default 5) in state incomplete
 *   destroy-busy    zfs destroy answers "dataset is busy" (the zfs wrapper)
 *   guest-crash     the VM powers off SECONDS (default 1) after the user-data started
 *
 * PREFIX restricts a fault to zones (or, for destroy-busy, datasets) whose name starts with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from './simError.js';
import { writeJsonAtomic, type SimState } from './state.js';

export const FAULT_KINDS = ['boot-fail', 'guest-no-agent', 'slow-install', 'destroy-busy', 'guest-crash'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  match?: string;
  /** Firings left; absent = until cleared. */
  count?: number;
  seconds?: number;
}

const file = (state: SimState) => join(state.root, 'faults.json');

export function readFaults(state: SimState): Fault[] {
  return existsSync(file(state)) ? (JSON.parse(readFileSync(file(state), 'utf8')) as Fault[]) : [];
}

export function writeFaults(state: SimState, faults: Fault[]): void {
  writeJsonAtomic(file(state), faults);
}

export function checkKind(kind: string): FaultKind {
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new SimError(`unknown fault '${kind}' (faults: ${FAULT_KINDS.join(', ')})`, 2);
  return kind as FaultKind;
}

function envFaults(): Fault[] {
  const spec = process.env.HELIOS_ILLUMOS_SIM_FAULTS;
  if (!spec) return [];
  return spec.split(',').filter(Boolean).map((item) => {
    const m = /^([a-z-]+)(?:=(\d+(?:\.\d+)?))?(?:@(.+))?$/.exec(item.trim());
    if (!m) throw new SimError(`HELIOS_ILLUMOS_SIM_FAULTS: cannot parse '${item}' (KIND[=SECONDS][@PREFIX])`);
    return { kind: checkKind(m[1]!), seconds: m[2] ? Number(m[2]) : undefined, match: m[3] };
  });
}

/**
 * The fault of this kind that applies to `target`, consuming one firing. Call holding the state
 * lock (the count is read, decremented and written back).
 */
export function takeFault(state: SimState, kind: FaultKind, target: string): Fault | null {
  const fromEnv = envFaults().find((f) => f.kind === kind && (!f.match || target.startsWith(f.match)));
  if (fromEnv) return fromEnv;
  const faults = readFaults(state);
  const i = faults.findIndex((f) => f.kind === kind && (!f.match || target.startsWith(f.match)));
  if (i < 0) return null;
  const fault = faults[i]!;
  if (fault.count !== undefined) {
    if (fault.count <= 1) faults.splice(i, 1);
    else faults[i] = { ...fault, count: fault.count - 1 };
    writeFaults(state, faults);
  }
  return fault;
}
