/**
 * `dladm` for the links the simulator models: physical links (added by the sim's setup command),
 * etherstubs and VNICs, with link properties. Name rules are libdladm's; output formats follow
 * dladm(8) (`-p`: fields joined by ':', a ':' inside a value escaped as '\:').
 */
import { SimError } from './simError.js';
import { linkNameValid } from './names.js';
import { SimState, type LinkRecord } from './state.js';

const VNIC_FIELDS = ['link', 'over', 'speed', 'macaddress', 'macaddrtype', 'vid', 'zone'];
const LINK_FIELDS = ['link', 'class', 'mtu', 'state', 'bridge', 'over'];
const LINK_PROPS: Record<string, (v: string[]) => string | null> = {
  protection: (v) => (v.every((x) => ['mac-nospoof', 'ip-nospoof', 'dhcp-nospoof', 'restricted'].includes(x)) ? null : `protection takes mac-nospoof, ip-nospoof, dhcp-nospoof, restricted`),
  'allowed-ips': (v) => (v.every((x) => /^[0-9.]+(\/\d+)?$|^[0-9a-fA-F:]+(\/\d+)?$/.test(x)) ? null : `allowed-ips takes IP addresses`),
  maxbw: (v) => (v.length === 1 && /^\d+[KMG]?$/i.test(v[0]!) ? null : `maxbw takes a bandwidth such as 100M`),
  priority: (v) => (v.length === 1 && ['low', 'medium', 'high'].includes(v[0]!) ? null : `priority takes low, medium or high`),
  mtu: (v) => (v.length === 1 && /^\d+$/.test(v[0]!) && Number(v[0]) >= 576 && Number(v[0]) <= 9000 ? null : `mtu takes 576 to 9000`),
};

class Opts {
  flags = new Set<string>();
  values = new Map<string, string[]>();
  operands: string[] = [];
  constructor(args: string[], valued: string[], flags: string[], sub: string) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const m = /^-([A-Za-z])(.*)$/.exec(a);
      if (!m) {
        this.operands.push(a);
        continue;
      }
      const [, letter, rest] = m as unknown as [string, string, string];
      if (valued.includes(letter)) {
        const v = rest || args[++i];
        if (v === undefined) throw new SimError(`dladm ${sub}: option -${letter} requires a value`);
        this.values.set(letter, [...(this.values.get(letter) ?? []), v]);
      } else if (flags.includes(letter) && rest === '') this.flags.add(letter);
      else throw new SimError(`dladm ${sub}: illegal option -- ${letter}`);
    }
  }
  one(letter: string): string | undefined {
    return this.values.get(letter)?.at(-1);
  }
}

/** `prop=v1,v2,prop2=v` as libdladm parses -p lists: a bare word continues the previous value list. */
export function parseProps(spec: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string | null = null;
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq >= 0) {
      current = part.slice(0, eq);
      out.set(current, part.slice(eq + 1) === '' ? [] : [part.slice(eq + 1)]);
    } else if (current) out.get(current)!.push(part);
    else throw new SimError(`dladm: invalid property list '${spec}'`);
  }
  return out;
}

function escapeParsable(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

function table(rows: string[][], fields: string[], parsable: boolean): string {
  if (parsable) return rows.map((r) => (r.length === 1 ? r[0]! : r.map(escapeParsable).join(':')) + '\n').join('');
  const widths = fields.map((f, i) => Math.max(f.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' ').trimEnd() + '\n';
  return line(fields.map((f) => f.toUpperCase())) + rows.map(line).join('');
}

function fieldList(opts: Opts, all: string[], sub: string): string[] {
  const spec = opts.one('o');
  if (opts.flags.has('p') && !spec) throw new SimError(`dladm ${sub}: -p requires -o`);
  if (!spec || spec === 'all') return all;
  const fields = spec.split(',').map((f) => f.toLowerCase());
  for (const f of fields) if (!all.includes(f)) throw new SimError(`dladm ${sub}: invalid field(s) specified: ${f}`);
  return fields;
}

export async function dladm(args: string[], state = new SimState()): Promise<string> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create-etherstub': {
      const o = new Opts(rest, ['R'], ['t'], sub);
      const name = single(o, sub, 'etherstub-name');
      return state.locked(() => {
        const links = state.readLinks();
        if (!linkNameValid(name)) throw new SimError(`etherstub creation failed: invalid link name '${name}' (up to 31 characters: letters, digits, '_' and '.', not starting with a digit, ending with a digit)`);
        if (links.links.some((l) => l.name === name)) throw new SimError(`etherstub creation failed: object already exists`);
        links.links.push({ name, class: 'etherstub', temporary: o.flags.has('t'), macaddress: mac(state) });
        state.writeLinks(links);
        return '';
      });
    }
    case 'delete-etherstub': {
      const o = new Opts(rest, ['R'], ['t'], sub);
      const name = single(o, sub, 'etherstub-name');
      return state.locked(() => {
        const links = state.readLinks();
        const stub = links.links.find((l) => l.name === name && l.class === 'etherstub');
        if (!stub) throw new SimError(`etherstub deletion failed: object not found`);
        if (links.links.some((l) => l.over === name)) throw new SimError(`etherstub deletion failed: link busy (VNICs are over it)`);
        links.links = links.links.filter((l) => l !== stub);
        state.writeLinks(links);
        return '';
      });
    }
    case 'create-vnic': {
      const o = new Opts(rest, ['l', 'm', 'v', 'p', 'R'], ['t', 'f', 'r'], sub);
      const name = single(o, sub, 'vnic-link');
      const over = o.one('l');
      if (!over) throw new SimError(`create-vnic: link to create VNIC over (-l) is required`);
      const props = o.values.get('p')?.map(parseProps) ?? [];
      return state.locked(() => {
        const links = state.readLinks();
        if (!linkNameValid(name)) throw new SimError(`vnic creation failed: invalid link name '${name}' (up to 31 characters: letters, digits, '_' and '.', not starting with a digit, ending with a digit)`);
        const under = links.links.find((l) => l.name === over);
        if (!under || under.class === 'vnic') throw new SimError(`invalid link name '${over}'${under ? ' (a VNIC cannot be over another VNIC)' : ': object not found'}`);
        if (links.links.some((l) => l.name === name)) throw new SimError(`vnic creation failed: object already exists`);
        const vid = o.one('v') ?? '0';
        if (!/^\d+$/.test(vid) || Number(vid) > 4094) throw new SimError(`vnic creation failed: invalid VLAN identifier '${vid}'`);
        const record: LinkRecord = { name, class: 'vnic', over, temporary: o.flags.has('t'), macaddress: vnicMac(o.one('m'), state), props: { vid } };
        for (const p of props) for (const [k, v] of p) record.props![k] = checkProp(k, v);
        links.links.push(record);
        state.writeLinks(links);
        return '';
      });
    }
    case 'delete-vnic': {
      const o = new Opts(rest, ['R'], ['t'], sub);
      const name = single(o, sub, 'vnic-link');
      return state.locked(() => {
        const links = state.readLinks();
        const vnic = links.links.find((l) => l.name === name && l.class === 'vnic');
        if (!vnic) throw new SimError(`vnic deletion failed: object not found`);
        const user = state.zones().find((z) => z.state === 'running' && z.config.resources.some((r) => r.type === 'net' && r.props.physical === name));
        if (user) throw new SimError(`vnic deletion failed: link busy (in use by running zone ${user.name})`);
        links.links = links.links.filter((l) => l !== vnic);
        state.writeLinks(links);
        return '';
      });
    }
    case 'show-vnic': {
      const o = new Opts(rest, ['o', 'l', 'Z'], ['p', 'P', 'm'], sub);
      const fields = fieldList(o, VNIC_FIELDS, sub);
      const links = state.readLinks().links;
      let vnics = links.filter((l) => l.class === 'vnic');
      if (o.operands.length > 1) throw new SimError(`usage: show-vnic [-pP] [-l link] [-o field,...] [vnic-link]`);
      if (o.operands[0]) {
        vnics = vnics.filter((v) => v.name === o.operands[0]);
        if (!vnics.length) throw new SimError(`invalid vnic name '${o.operands[0]}': object not found`);
      }
      const l = o.one('l');
      if (l) vnics = vnics.filter((v) => v.over === l);
      const zones = state.zones();
      const rows = vnics.map((v) => {
        const zone = zones.find((z) => z.state === 'running' && z.config.resources.some((r) => r.type === 'net' && r.props.physical === v.name))?.name ?? '--';
        const values: Record<string, string> = { link: v.name, over: v.over!, speed: '0', macaddress: v.macaddress!, macaddrtype: 'random', vid: v.props?.vid ?? '0', zone };
        return fields.map((f) => values[f]!);
      });
      return table(rows, fields, o.flags.has('p'));
    }
    case 'show-etherstub': {
      const o = new Opts(rest, [], ['Z'], sub);
      const stubs = state.readLinks().links.filter((l) => l.class === 'etherstub' && (!o.operands[0] || l.name === o.operands[0]));
      if (o.operands[0] && !stubs.length) throw new SimError(`invalid link name '${o.operands[0]}': object not found`);
      return table(stubs.map((s) => [s.name]), ['link'], false);
    }
    case 'show-link': {
      const o = new Opts(rest, ['o'], ['p', 'P'], sub);
      const fields = fieldList(o, LINK_FIELDS, sub);
      let links = state.readLinks().links;
      if (o.operands[0]) {
        links = links.filter((l) => l.name === o.operands[0]);
        if (!links.length) throw new SimError(`cannot show link ${o.operands[0]}: object not found`);
      }
      const rows = links.map((l) => {
        const values: Record<string, string> = { link: l.name, class: l.class, mtu: l.props?.mtu ?? (l.class === 'etherstub' ? '9000' : '1500'), state: 'up', bridge: '--', over: l.over ?? '--' };
        return fields.map((f) => values[f]!);
      });
      return table(rows, fields, o.flags.has('p'));
    }
    case 'set-linkprop': {
      const o = new Opts(rest, ['p', 'R'], ['t'], sub);
      const name = single(o, sub, 'link');
      const specs = o.values.get('p');
      if (!specs) throw new SimError(`set-linkprop: property list (-p) is required`);
      return state.locked(() => {
        const links = state.readLinks();
        const link = links.links.find((l) => l.name === name);
        if (!link) throw new SimError(`cannot set link property on '${name}': object not found`);
        for (const spec of specs) for (const [k, v] of parseProps(spec)) (link.props ??= {})[k] = checkProp(k, v);
        state.writeLinks(links);
        return '';
      });
    }
    case 'reset-linkprop': {
      const o = new Opts(rest, ['p', 'R'], ['t'], sub);
      const name = single(o, sub, 'link');
      return state.locked(() => {
        const links = state.readLinks();
        const link = links.links.find((l) => l.name === name);
        if (!link) throw new SimError(`cannot reset link property on '${name}': object not found`);
        const props = o.one('p')?.split(',') ?? Object.keys(LINK_PROPS);
        for (const p of props) if (link.props) delete link.props[p];
        state.writeLinks(links);
        return '';
      });
    }
    case 'show-linkprop': {
      const o = new Opts(rest, ['p', 'o'], ['c', 'P'], sub);
      const name = single(o, sub, 'link');
      const link = state.readLinks().links.find((l) => l.name === name);
      if (!link) throw new SimError(`cannot get link property of '${name}': object not found`);
      const props = o.one('p')?.split(',') ?? Object.keys(LINK_PROPS);
      const all = ['link', 'property', 'perm', 'value', 'default', 'possible'];
      const spec = o.one('o');
      const fields = spec ? spec.split(',').map((f) => f.toLowerCase()) : all;
      if (o.flags.has('c') && !spec) throw new SimError(`show-linkprop: -c requires -o`);
      const rows = props.map((p) => {
        if (!LINK_PROPS[p]) throw new SimError(`cannot get link property '${p}': invalid link property`);
        const values: Record<string, string> = { link: name, property: p, perm: 'rw', value: link.props?.[p] ?? '--', default: '--', possible: '--' };
        return fields.map((f) => values[f] ?? '--');
      });
      return table(rows, fields, o.flags.has('c'));
    }
    default:
      throw new SimError(`unknown subcommand '${sub ?? ''}' (the simulator models create-etherstub, delete-etherstub, show-etherstub, create-vnic, delete-vnic, show-vnic, show-link, set-linkprop, reset-linkprop, show-linkprop)`);
  }
}

function single(o: Opts, sub: string, what: string): string {
  if (o.operands.length !== 1) throw new SimError(`${sub}: exactly one ${what} is required`);
  return o.operands[0]!;
}

function checkProp(name: string, values: string[]): string {
  const check = LINK_PROPS[name];
  if (!check) throw new SimError(`warning: invalid link property '${name}' (the simulator models ${Object.keys(LINK_PROPS).join(', ')})`);
  const problem = check(values);
  if (problem) throw new SimError(`warning: invalid link property value '${values.join(',')}' for ${name}: ${problem}`);
  return values.join(',');
}

function mac(state: SimState): string {
  const n = state.next('mac');
  return `2:8:20:${((n >> 16) & 0xff).toString(16)}:${((n >> 8) & 0xff).toString(16)}:${(n & 0xff).toString(16)}`;
}

function vnicMac(requested: string | undefined, state: SimState): string {
  if (!requested || requested === 'random' || requested === 'auto') return mac(state);
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(requested)) throw new SimError(`vnic creation failed: invalid MAC address '${requested}'`);
  return requested.toLowerCase();
}
