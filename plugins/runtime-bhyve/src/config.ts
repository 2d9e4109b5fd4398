import { Type, type Static } from '@helios-ci/sdk';

const DATASET = '^[A-Za-z][A-Za-z0-9_.:-]{0,99}(/[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}){0,10}$';
const COMPONENT = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';
const LINK = '^[A-Za-z][A-Za-z0-9_.]{0,29}[0-9]$';
const IPV4 = '^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$';
const CIDR = `${IPV4.slice(0, -1)}/([89]|[12][0-9]|30)$`;
const ABS_PATH = '^/[A-Za-z0-9_./-]*$';

export const ImageSchema = Type.Object(
  {
    dataset: Type.String({ pattern: DATASET, description: 'the golden image zvol, <storage parent>/images/<name> (storage-zfs clones <name>)' }),
    snapshot: Type.String({ pattern: COMPONENT, description: 'its snapshot to clone; checked at start' }),
    ram: Type.Optional(Type.String({ pattern: '^[0-9]+[kMGTPE]?$', description: 'bhyve ram attr, e.g. 4G (default 2G)' })),
    vcpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'default 2' })),
    bootrom: Type.Optional(Type.String({ pattern: '^(BHYVE|BHYVE_RELEASE|BHYVE_CSM|BHYVE_RELEASE_CSM|BHYVE_DEBUG|BHYVE_DEBUG_CSM|/[A-Za-z0-9_./-]+)$', description: 'default BHYVE (UEFI)' })),
    diskSize: Type.Optional(Type.String({ pattern: '^[0-9]+[KMGT]?$', description: 'zfs set volsize on the clone when bigger than the image, e.g. 40G' })),
    warmPaths: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'paths kept warm between jobs (a second disk)' })),
  },
  { additionalProperties: false },
);

export const NetworkSchema = Type.Object(
  {
    etherstub: Type.Optional(Type.String({ pattern: LINK, description: 'per-job VNICs are made on it (dladm create-vnic -t -l <etherstub>)' })),
    globalNic: Type.Optional(Type.String({ pattern: LINK, description: 'instead of etherstub: an on-demand VNIC the brand makes (net global-nic)' })),
    subnet: Type.String({ pattern: CIDR, description: 'job addresses come from here, e.g. 10.77.0.0/24' }),
    gateway: Type.String({ pattern: IPV4, description: "the global zone's address on the etherstub (NAT), the guests' default route" }),
    resolvers: Type.Array(Type.String({ pattern: IPV4 }), { default: [] }),
    allow: Type.Array(Type.String({ pattern: `^${IPV4.slice(1, -1)}:[0-9]{1,5}$` }), { default: [], description: 'extra host:port the guests may reach (an egress proxy, a package mirror)' }),
  },
  { additionalProperties: false },
);

export const GuestSchema = Type.Object(
  {
    node: Type.String({ pattern: '^(/[A-Za-z0-9_./-]*|[A-Za-z0-9_.-]+)$', default: '/usr/bin/node', description: 'node ≥ 20 in the golden image (absolute, or a name on the guest PATH)' }),
    agent: Type.String({ pattern: ABS_PATH, default: '/opt/helios/helios-agent.mjs', description: 'the helios-agent bundle in the golden image' }),
    stateDir: Type.String({ pattern: ABS_PATH, default: '/var/lib/helios', description: "where the bootstrap writes the agent's files in the guest" }),
  },
  { additionalProperties: false, default: {} },
);

export const CommandsSchema = Type.Object(
  {
    zonecfg: Type.String({ minLength: 1, default: '/usr/sbin/zonecfg' }),
    zoneadm: Type.String({ minLength: 1, default: '/usr/sbin/zoneadm' }),
    dladm: Type.String({ minLength: 1, default: '/usr/sbin/dladm' }),
    zfs: Type.String({ minLength: 1, default: '/usr/sbin/zfs' }),
  },
  { additionalProperties: false, default: {} },
);

export const BhyveConfigSchema = Type.Object(
  {
    images: Type.Record(Type.String({ pattern: COMPONENT }), ImageSchema, { description: 'per runs-on label, the image and machine size' }),
    zonepathRoot: Type.String({ pattern: '^/[A-Za-z0-9_./-]+$', default: '/zones', description: 'zonepaths are <zonepathRoot>/<zone>' }),
    network: NetworkSchema,
    guest: GuestSchema,
    namePrefix: Type.String({ pattern: '^[a-z][a-z0-9]{0,11}$', default: 'helios', description: 'zone and VNIC names start with it; list() and the reconciler own every zone that does' }),
    maxMachines: Type.Integer({ minimum: 1, default: 4 }),
    bootTimeoutSeconds: Type.Integer({ minimum: 1, default: 300 }),
    commands: CommandsSchema,
  },
  { additionalProperties: false },
);

export type BhyveConfig = Static<typeof BhyveConfigSchema>;
export type ImageConfig = Static<typeof ImageSchema>;
/** An image with its defaults filled in (typebox fills no defaults inside a Record's values). */
export type Image = ImageConfig & Required<Pick<ImageConfig, 'ram' | 'vcpus' | 'bootrom'>>;

export function withImageDefaults(image: ImageConfig): Image {
  return { ...image, ram: image.ram ?? '2G', vcpus: image.vcpus ?? 2, bootrom: image.bootrom ?? 'BHYVE' };
}
export type NetworkConfig = Static<typeof NetworkSchema>;
export type GuestConfig = Static<typeof GuestSchema>;
export type Commands = Static<typeof CommandsSchema>;
