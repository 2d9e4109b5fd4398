/**
 * What the OmniOS bhyve brand checks when it boots a zone (facts §2, §6, §7): every attr known and
 * well formed, each disk attr naming a zvol that is also passed in with a `device` resource, the
 * net resources' links present. Also builds the bhyve command line the brand would run, for zone.log.
 * The simulator is stricter than the brand in one way: an unknown attr fails the boot instead of
 * being ignored, so a typo in a generated command file cannot pass unnoticed.
 */
import { existsSync, statSync } from 'node:fs';
import { datasetNameValid } from './names.js';
import type { LinkRecord } from './state.js';
import { attrValue, type ZoneConfig } from './zoneConfig.js';

const BOOLEAN = /^(on|off|true|false|yes|no|1|0)$/;
const FIRMWARE = ['BHYVE', 'BHYVE_RELEASE', 'BHYVE_CSM', 'BHYVE_RELEASE_CSM', 'BHYVE_DEBUG', 'BHYVE_DEBUG_CSM'];
const DISKIF = ['virtio', 'virtio-blk', 'nvme', 'ahci', 'ahci-hd', 'ahci-cd', 'ide'];
const DISK_FLAGS = ['nocache', 'nodelete', 'ro', 'sync', 'direct'];
const DISK_KEYED = ['serial', 'ser', 'sectorsize', 'maxq', 'qsz', 'ioslots', 'sectsz', 'eui64', 'dsm'];
const BOOTORDER_ITEM = /^(shell|path\d*|bootdisk|disk\d*|cdrom\d*|net\d*(=(pxe|http))?|boot\d+)$/;

type Check = (value: string) => string | null;
const oneOf = (values: string[]): Check => (v) => (values.includes(v) ? null : `must be one of ${values.join(', ')}`);
const bool: Check = (v) => (BOOLEAN.test(v) ? null : `must be on, off, true, false, yes, no, 1 or 0`);

const ATTRS: Record<string, Check> = {
  ram: (v) => (/^\d+[kKmMgGtTpPeE]?$/.test(v) ? null : `must be a size such as 512M or 4G`),
  vcpus: (v) => (/^(cpus=)?[1-9]\d*(,(sockets|cores|threads)=[1-9]\d*)*$/.test(v) ? null : `must be N or [cpus=]N[,sockets=S][,cores=C][,threads=T]`),
  bootrom: (v) => (FIRMWARE.includes(v) || (v.startsWith('/') && existsSync(v)) ? null : `must be a firmware name (${FIRMWARE.join(', ')}) or the absolute path of an existing ROM`),
  bootorder: (v) => (v === 'cd' || v === 'dc' || v.split(',').every((x) => BOOTORDER_ITEM.test(x)) ? null : `must be a comma list of shell, path[N], bootdisk, disk[N], cdrom[N], net[N][=pxe|http], bootN (or cd, dc)`),
  bootnext: (v) => (BOOTORDER_ITEM.test(v) ? null : `must be one bootorder value`),
  console: (v) => {
    if (v === '/dev/zconsole') return null;
    const m = /^socket,(\/[^,]+)(,.*)?$/.exec(v);
    if (!m) return `must be socket,<absolute path> (or /dev/zconsole)`;
    if (m[2]) return `the socket backend accepts no options after the path (got '${m[2].slice(1)}')`;
    return null;
  },
  vnc: (v) => (/^(on|off|wait)$/.test(v) || v.split(',').every((x) => /^(on|wait|unix=\/.+|w=\d+|h=\d+|password=.+)$/.test(x)) ? null : `must be off, on, wait or a list of on/wait/unix=/w=/h=/password=`),
  netif: oneOf(['virtio', 'virtio-net-viona', 'virtio-net', 'e1000']),
  hostbridge: (v) => (['i440fx', 'q35', 'amd', 'netapp', 'none'].includes(v) || /^vendor=\w+,device=\w+$/.test(v) ? null : `must be i440fx, q35, amd, netapp, none or vendor=<id>,device=<id>`),
  type: oneOf(['generic', 'windows', 'openbsd']),
  acpi: bool,
  xhci: bool,
  rng: bool,
  uefivars: bool,
  memreserve: bool,
  'cloud-init': (v) => {
    if (v === 'on' || v === 'off' || /^https?:\/\/\S+$/.test(v)) return null;
    if (!v.startsWith('/')) return `must be on, off, an absolute file path or an http(s) URL`;
    if (!existsSync(v) || !statSync(v).isFile()) return `file ${v} does not exist`;
    return null;
  },
  sshkey: (v) => (v.length ? null : `must not be empty`),
  password: (v) => (v.length ? null : `must not be empty`),
  'dns-domain': (v) => (/^[A-Za-z0-9.-]+$/.test(v) ? null : `must be a domain name`),
  resolvers: (v) => (v.split(',').every((x) => /^[0-9.]+$|^[0-9a-fA-F:]+$/.test(x)) ? null : `must be a comma-separated list of IP addresses`),
};

const DISK_ATTR = /^(bootdisk|disk\d*)$/;
const INDEXED: [RegExp, Check][] = [
  [/^diskif\d*$/, oneOf(DISKIF)],
  [/^cdrom\d*$/, (v) => (v.startsWith('/') ? null : `must be the absolute path of an ISO image`)],
  [/^extra\d*$/, () => null],
  [/^virtfs\d+$/, (v) => (/^[^,]+,\/[^,]*(,ro)?$/.test(v) ? null : `must be <sharename>,<absolute path>[,ro]`)],
  [/^ppt\d+$/, (v) => (/^(on|off|slot[0-7])$/.test(v) ? null : `must be on, off or slot0..slot7`)],
];

export interface Disk {
  attr: string;
  dataset: string;
}

export interface BrandPlan {
  problems: string[];
  disks: Disk[];
  /** The bhyve argv the brand would run (for zone.log). */
  bhyveArgs: string[];
}

/** Static checks of a zone's configuration against the bhyve brand (no disk or link lookups). */
export function planBoot(zone: string, config: ZoneConfig, links: LinkRecord[]): BrandPlan {
  const problems: string[] = [];
  const disks: Disk[] = [];
  if (config.global.brand !== 'bhyve') problems.push(`brand is '${config.global.brand ?? 'unset'}'; the simulator boots bhyve zones only`);
  if (config.global['ip-type'] !== 'exclusive') problems.push(`bhyve zones need ip-type=exclusive`);
  const devices = new Set(config.resources.filter((r) => r.type === 'device').map((r) => String(r.props.match)));
  for (const r of config.resources.filter((x) => x.type === 'attr')) {
    const name = String(r.props.name);
    const value = String(r.props.value);
    if (r.props.type !== 'string') problems.push(`attr ${name}: type must be string for the bhyve brand (is ${String(r.props.type)})`);
    if (DISK_ATTR.test(name)) {
      const [dataset, ...opts] = value.split(',');
      if (!dataset || !datasetNameValid(dataset)) {
        problems.push(`attr ${name}: '${dataset ?? ''}' is not a zvol dataset name`);
        continue;
      }
      for (const o of opts) {
        const [k, v] = o.split('=');
        if (v === undefined ? !DISK_FLAGS.includes(k!) : !DISK_KEYED.includes(k!)) problems.push(`attr ${name}: unknown disk option '${o}'`);
        if ((k === 'serial' || k === 'ser') && !/^[0-9A-Za-z-]{1,20}$/.test(v ?? '')) problems.push(`attr ${name}: serial '${v}' must be 1 to 20 letters, digits or '-'`);
      }
      if (!devices.has(`/dev/zvol/rdsk/${dataset}`) && !devices.has(`/dev/zvol/dsk/${dataset}`)) {
        problems.push(`attr ${name}: disk ${dataset} has no device resource (add device match=/dev/zvol/rdsk/${dataset})`);
      }
      disks.push({ attr: name, dataset });
      continue;
    }
    const check = ATTRS[name] ?? INDEXED.find(([re]) => re.test(name))?.[1];
    if (!check) {
      problems.push(`attr ${name}: unknown attribute for the bhyve brand`);
      continue;
    }
    const problem = check(value);
    if (problem) problems.push(`attr ${name}: '${value}' ${problem}`);
  }
  if (!disks.some((d) => d.attr === 'bootdisk') && !disks.length) problems.push(`no bootdisk attribute: the VM has no disk to boot from`);
  for (const r of config.resources.filter((x) => x.type === 'net')) {
    const physical = r.props.physical as string | undefined;
    const globalNic = r.props['global-nic'] as string | undefined;
    if (globalNic) {
      if (!links.some((l) => l.name === globalNic && l.class !== 'vnic')) problems.push(`net ${physical ?? ''}: global-nic ${globalNic} does not exist`);
    } else if (!physical || !links.some((l) => l.name === physical && l.class === 'vnic')) {
      problems.push(`net: link ${physical ?? '(none)'} does not exist; create it with dladm create-vnic first`);
    }
  }
  const a = (n: string, d: string) => attrValue(config, n) ?? d;
  const args = ['/usr/sbin/bhyve', '-H', '-w', '-c', a('vcpus', '1'), '-m', a('ram', '1G'), '-l', `bootrom,/usr/share/bhyve/firmware/${a('bootrom', 'BHYVE')}.fd`];
  let slot = 4;
  for (const d of disks) args.push('-s', `${slot++},${a('diskif', 'virtio') === 'virtio' ? 'virtio-blk' : a('diskif', 'virtio')},/dev/zvol/rdsk/${d.dataset}`);
  for (const r of config.resources.filter((x) => x.type === 'net')) args.push('-s', `${slot++},virtio-net-viona,${String(r.props.physical ?? r.props['global-nic'])}`);
  const ci = a('cloud-init', 'off');
  if (ci === 'on' || ci.startsWith('/')) args.push('-s', `${slot++},ahci-cd,/zone/cloud-init.iso,ro`);
  args.push('-l', `com1,${a('console', '/dev/zconsole').replace(/^socket,/, 'socket,')}`, zone);
  return { problems, disks, bhyveArgs: args };
}
