/** What `zoneadm boot` hands the VM process (one JSON argument). */
export interface VmSpec {
  zone: string;
  uuid: string;
  zonepath: string;
  /** The boot disk's contents: the mountpoint of the filesystem that emulates the zvol. */
  guestRoot: string;
  /** `<zonepath>/root/<path>` of `console=socket,<path>`, or null for /dev/zconsole. */
  consolePath: string | null;
  /** The NoCloud seed directory the brand wrote, or null (cloud-init off or URL). */
  seedDir: string | null;
  seedKind: 'off' | 'on' | 'file' | 'url';
  /** cloud-init finds no datasource (fault guest-no-agent, or a URL the sim does not fetch). */
  noDatasource: boolean;
  crashAfterSeconds?: number;
  /** Time between power-on and the first firmware line (a client can connect meanwhile). */
  firmwareMs: number;
  /** The zone's loaded ipf rules (etc/ipf.conf), which the guest's outbound TCP goes through; null: none loaded. */
  ipfRules: string[] | null;
}
