/**
 * `illumos-sim`: the simulator's own control command (no illumos counterpart).
 *   illumos-sim phys add NAME                      a physical link (e.g. igb0) for create-vnic -l
 *   illumos-sim fault add KIND [--match PREFIX] [--count N] [--seconds S]
 *   illumos-sim fault clear [KIND]
 *   illumos-sim fault list
 *   illumos-sim status                             zones and links as JSON
 */
import { SimError, usage } from './simError.js';
import { FAULT_KINDS, checkKind, readFaults, writeFaults, type Fault } from './faults.js';
import { linkNameValid } from './names.js';
import { SimState } from './state.js';
import { reconcile } from './zoneadm.js';

const USAGE = `usage: illumos-sim phys add NAME | fault add KIND [--match PREFIX] [--count N] [--seconds S] | fault clear [KIND] | fault list | status\nfaults: ${FAULT_KINDS.join(', ')}`;

export async function control(args: string[], state = new SimState()): Promise<string> {
  const [area, verb, ...rest] = args;
  if (area === 'status') {
    const zones = state.zones().map((z) => reconcile(state, z));
    return JSON.stringify({ zones: zones.map((z) => ({ name: z.name, state: z.state, uuid: z.uuid, zonepath: z.config.global.zonepath, vmPid: z.vmPid })), links: state.readLinks().links, faults: readFaults(state) }, null, 2) + '\n';
  }
  if (area === 'phys' && verb === 'add' && rest.length === 1) {
    const name = rest[0]!;
    if (!linkNameValid(name)) throw new SimError(`invalid link name '${name}'`);
    return state.locked(() => {
      const links = state.readLinks();
      if (links.links.some((l) => l.name === name)) throw new SimError(`link ${name} already exists`);
      links.links.push({ name, class: 'phys', macaddress: `2:8:20:ff:ff:${links.links.length.toString(16)}` });
      state.writeLinks(links);
      return '';
    });
  }
  if (area === 'fault') {
    if (verb === 'list') return readFaults(state).map((f) => JSON.stringify(f) + '\n').join('');
    if (verb === 'clear') {
      const kind = rest[0] ? checkKind(rest[0]) : undefined;
      return state.locked(() => {
        writeFaults(state, kind ? readFaults(state).filter((f) => f.kind !== kind) : []);
        return '';
      });
    }
    if (verb === 'add' && rest[0]) {
      const fault: Fault = { kind: checkKind(rest[0]) };
      for (let i = 1; i < rest.length; i += 2) {
        const v = rest[i + 1];
        if (v === undefined) throw usage(USAGE);
        if (rest[i] === '--match') fault.match = v;
        else if (rest[i] === '--count' && /^[1-9]\d*$/.test(v)) fault.count = Number(v);
        else if (rest[i] === '--seconds' && /^\d+(\.\d+)?$/.test(v)) fault.seconds = Number(v);
        else throw usage(`bad option ${rest[i]} ${v}\n${USAGE}`);
      }
      return state.locked(() => {
        writeFaults(state, [...readFaults(state), fault]);
        return '';
      });
    }
  }
  throw usage(USAGE);
}
