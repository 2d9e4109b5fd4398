/**
 * The zonecfg command file of a job's zone (bhyve-zone-facts §5, §7): a blank config, exclusive IP,
 * one net resource, the clone's zvol passed in as a device and named in `bootdisk`, the VM attrs.
 * Every value was validated before it got here; `quote` still refuses anything that could end a
 * token, so a value can never add a subcommand.
 */
import { bhyveErrors } from './errors.js';

export interface ZoneDisk {
  /** zvol dataset name, e.g. rpool/ci/jobs/j1-image */
  dataset: string;
}

export interface ZoneConfigInput {
  zonepath: string;
  /** A pre-created VNIC (`physical`), or the link the brand makes one on (`global-nic`). */
  net: { physical: string } | { globalNic: string; name: string };
  address: string;
  prefixLength: number;
  gateway: string;
  bootdisk: ZoneDisk;
  /** Extra disks (a warm volume), attached as disk1, disk2, ... */
  disks: ZoneDisk[];
  ram: string;
  vcpus: number;
  bootrom: string;
  resolvers: string[];
  cloudInit: string;
}

const SAFE = /^[A-Za-z0-9_./:,=@+-]+$/;

function quote(value: string): string {
  if (!SAFE.test(value)) throw bhyveErrors.create('E_BHYVE_NAME_INVALID', `runtime-bhyve: ${JSON.stringify(value)} cannot go into a zonecfg file; nothing was run`);
  return value;
}

const attr = (name: string, value: string) => ['add attr', `set name=${name}`, 'set type=string', `set value=${quote(value)}`, 'end'];
const device = (d: ZoneDisk) => ['add device', `set match=${quote(`/dev/zvol/rdsk/${d.dataset}`)}`, 'end'];

/** A serial for a disk (`^[0-9A-Z-]{1,20}$`): stable per dataset, so the guest sees the same one per job name. */
function serialOf(dataset: string): string {
  return dataset.split('/').at(-1)!.toUpperCase().replace(/[^0-9A-Z-]/g, '-').slice(-20).replace(/^-+/, '') || 'HELIOS';
}

export function zonecfgCommands(z: ZoneConfigInput): string {
  const net =
    'physical' in z.net
      ? [`set physical=${quote(z.net.physical)}`]
      : [`set physical=${quote(z.net.name)}`, `set global-nic=${quote(z.net.globalNic)}`];
  const lines = [
    'create -b',
    'set brand=bhyve',
    `set zonepath=${quote(z.zonepath)}`,
    'set autoboot=false',
    'set ip-type=exclusive',
    'add net',
    ...net,
    `set allowed-address=${quote(`${z.address}/${z.prefixLength}`)}`,
    `set defrouter=${quote(z.gateway)}`,
    'end',
    ...device(z.bootdisk),
    ...z.disks.flatMap(device),
    ...attr('bootdisk', `${z.bootdisk.dataset},serial=${serialOf(z.bootdisk.dataset)}`),
    ...z.disks.flatMap((d, i) => attr(`disk${i + 1}`, `${d.dataset},serial=${serialOf(d.dataset)}`)),
    ...attr('ram', z.ram),
    ...attr('vcpus', String(z.vcpus)),
    ...attr('bootrom', z.bootrom),
    ...attr('console', 'socket,/tmp/vm.com1'),
    ...attr('cloud-init', z.cloudInit),
    ...(z.resolvers.length ? attr('resolvers', z.resolvers.join(',')) : []),
    'verify',
    'commit',
  ];
  return `${lines.join('\n')}\n`;
}
