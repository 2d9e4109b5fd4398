/**
 * A zone's configuration as zonecfg keeps it: global properties plus resources (net, device, attr,
 * fs, ...), each a bag of properties. Which properties exist, and how `export` and `info` print
 * them, follow illumos zonecfg(8).
 */
export type PropValue = string | string[];

export interface Resource {
  type: string;
  props: Record<string, PropValue>;
}

export interface ZoneConfig {
  global: Record<string, string>;
  resources: Resource[];
}

/** Global properties zonecfg knows, in the order `export`/`info` print them. */
export const GLOBAL_PROPS = [
  'zonename', 'zonepath', 'brand', 'autoboot', 'bootargs', 'pool', 'limitpriv', 'scheduling-class',
  'ip-type', 'hostid', 'fs-allowed', 'max-lwps', 'max-processes', 'max-shm-memory', 'max-shm-ids',
  'max-msg-ids', 'max-sem-ids', 'max-lofi', 'cpu-shares',
] as const;

/** Resource types and their properties (list-valued ones marked), in print order. */
export const RESOURCE_PROPS: Record<string, { props: string[]; lists?: string[]; key: string[] }> = {
  fs: { props: ['dir', 'special', 'raw', 'type', 'options'], lists: ['options'], key: ['dir'] },
  net: { props: ['address', 'allowed-address', 'physical', 'defrouter', 'global-nic', 'mac-addr', 'vlan-id'], key: ['physical', 'address'] },
  device: { props: ['match', 'allow-partition', 'allow-raw-io'], key: ['match'] },
  attr: { props: ['name', 'type', 'value'], key: ['name'] },
  rctl: { props: ['name', 'value'], lists: ['value'], key: ['name'] },
  dataset: { props: ['name', 'alias'], key: ['name'] },
  'capped-memory': { props: ['physical', 'swap', 'locked'], key: [] },
  'capped-cpu': { props: ['ncpus'], key: [] },
  'dedicated-cpu': { props: ['ncpus', 'importance'], key: [] },
  admin: { props: ['user', 'auths'], key: ['user'] },
};

/** Properties every resource of a type must have before `end` is accepted. */
export const REQUIRED_AT_END: Record<string, string[]> = {
  fs: ['dir', 'special', 'type'],
  device: ['match'],
  attr: ['name', 'type', 'value'],
  rctl: ['name', 'value'],
  dataset: ['name'],
  'capped-cpu': ['ncpus'],
  'dedicated-cpu': ['ncpus'],
  admin: ['user', 'auths'],
};

export function emptyConfig(name: string): ZoneConfig {
  return { global: { zonename: name }, resources: [] };
}

export function attrValue(config: ZoneConfig, name: string): string | undefined {
  const r = config.resources.find((x) => x.type === 'attr' && x.props.name === name);
  return typeof r?.props.value === 'string' ? r.props.value : undefined;
}

export function zonepath(config: ZoneConfig): string {
  return config.global.zonepath ?? '';
}

export function ipType(config: ZoneConfig): 'exclusive' | 'shared' {
  return config.global['ip-type'] === 'exclusive' ? 'exclusive' : 'shared';
}

/** A value as a command file needs it: quoted when it holds blanks, quotes, ; or = or #. */
export function quote(value: string): string {
  return /^[^\s"';=#()[\],]+$/.test(value) ? value : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function printValue(v: PropValue): string {
  return Array.isArray(v) ? `[${v.map(quote).join(',')}]` : quote(v);
}

/** `zonecfg export`: a command file that recreates the configuration. */
export function exportConfig(config: ZoneConfig): string {
  const lines = ['create -b'];
  for (const p of GLOBAL_PROPS) {
    if (p === 'zonename') continue;
    const v = config.global[p];
    if (v !== undefined && v !== '') lines.push(`set ${p}=${quote(v)}`);
  }
  for (const r of config.resources) {
    lines.push(`add ${r.type}`);
    for (const p of RESOURCE_PROPS[r.type]!.props) {
      const v = r.props[p];
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) lines.push(`add ${p} ${quote(item)}`);
      else lines.push(`set ${p}=${printValue(v)}`);
    }
    lines.push('end');
  }
  return lines.join('\n') + '\n';
}

/** `zonecfg info [type]`: the human form. */
export function infoConfig(config: ZoneConfig, onlyType?: string): string {
  const out: string[] = [];
  if (!onlyType) {
    for (const p of GLOBAL_PROPS) {
      if (p.startsWith('max-') || p === 'cpu-shares') {
        if (config.global[p] !== undefined) out.push(`[${p}: ${config.global[p]}]`);
        continue;
      }
      out.push(`${p}: ${config.global[p] ?? (p === 'ip-type' ? 'shared' : '')}`);
    }
  }
  for (const r of config.resources) {
    if (onlyType && r.type !== onlyType) continue;
    out.push(`${r.type}:`);
    for (const p of RESOURCE_PROPS[r.type]!.props) {
      const v = r.props[p];
      if (v === undefined) {
        if (r.type === 'net' || r.type === 'fs') out.push(`\t${p} not specified`);
        continue;
      }
      out.push(`\t${p}: ${Array.isArray(v) ? `[${v.join(',')}]` : v}`);
    }
  }
  return out.join('\n') + '\n';
}
