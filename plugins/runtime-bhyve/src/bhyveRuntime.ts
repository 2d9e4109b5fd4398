/**
 * A job's machine is a bhyve zone: a ZFS clone of the label's golden image as its boot disk, a VNIC
 * on the etherstub with a per-job address and a default-deny firewall, a cloud-init user-data that
 * starts the agent. Teardown undoes each part, treats "already gone" as done, and checks.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeliosError, type Logger, type Machine, type MachineRef, type MachineSize, type MachineSpec, type PreparedSnapshots, type Runtime, type Storage, type Volume } from '@helios-ci/sdk';
import { allocateAddress, inSubnet, parseSubnet, type Subnet } from './addresses.js';
import { withImageDefaults, type BhyveConfig, type Image } from './config.js';
import type { CommandRunner } from './commands.js';
import { ConsoleStream } from './consoleStream.js';
import { bhyveErrors } from './errors.js';
import { Host } from './host.js';
import { ipfRules, parseEndpoint } from './ipfRules.js';
import { MachineRecords, type MachineRecord } from './machineRecords.js';
import { isOurVnic, jobIdOfZone, LINK_NAME, machineNames, vnicOf, ZONE_NAME } from './names.js';
import { userData } from './userData.js';
import { zonecfgCommands } from './zonecfgFile.js';

export interface BhyveRuntimeOptions {
  id: string;
  config: BhyveConfig;
  storage: Storage;
  run: CommandRunner;
  /** Machine records, user-data and zonecfg files live here (the instance's data dir). */
  stateDir: string;
  logger?: Logger;
}

const LOG_TAIL = 4000;
/** Extra attempts of a busy zonepath destroy (backoff 0.1 s doubling to 2 s). */
const BUSY_RETRIES = 6;
const MB: Record<string, number> = { '': 1 / 1048576, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024, P: 1024 ** 3, E: 1024 ** 4, k: 1 / 1024 };
const BYTES: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** The dataset behind a zvol location the storage returned (`/dev/zvol/[r]dsk/<ds>` or `/dev/zvol/<ds>`). */
export function zvolDataset(location: string): string | null {
  const m = /^\/dev\/zvol\/(?:r?dsk\/)?([A-Za-z0-9][A-Za-z0-9_.:/-]*)$/.exec(location);
  return m && !m[1]!.includes('..') ? m[1]! : null;
}

export class BhyveRuntime implements Runtime {
  readonly id: string;
  readonly labels: readonly string[];
  private readonly host: Host;
  private readonly records: MachineRecords;
  private readonly subnet: Subnet;
  private readonly consoles = new Map<string, ConsoleStream>();
  /** Per zone: stops its boot-timeout watch (the agent said Hello, or the machine is being destroyed). */
  private readonly helloWatches = new Map<string, () => void>();
  /** Address and slot allocation is read-then-write over the records: one at a time. */
  private allocation: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: BhyveRuntimeOptions) {
    this.id = o.id;
    this.labels = Object.keys(o.config.images);
    this.host = new Host(o.run, o.config.commands);
    this.records = new MachineRecords(join(o.stateDir, 'machines'));
    this.subnet = parseSubnet(o.config.network.subnet);
    if (!inSubnet(this.subnet, o.config.network.gateway)) {
      throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve ${o.id}: network.gateway ${o.config.network.gateway} is not a host address of ${o.config.network.subnet}`);
    }
    if (!o.config.network.etherstub === !o.config.network.globalNic) {
      throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve ${o.id}: set exactly one of network.etherstub and network.globalNic`);
    }
    const { storage } = o;
    if (storage.keepPrepared && storage.hasPrepared) {
      this.prepared = {
        has: (label, name) => storage.hasPrepared!(this.imageName(label), name),
        keep: async (jobId, name) => {
          const clone = this.records.all().find((r) => r.jobId === jobId)?.clone;
          if (!clone) throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve ${o.id}: job ${jobId} has no machine with a disk clone to keep (not provisioned by this runtime, or destroyed)`);
          await storage.keepPrepared!(clone, name);
        },
      };
    }
  }

  /**
   * Prepared snapshots (vmactions cache-after-prepare) of a label's zones: the zone's boot disk clone
   * snapshotted while it runs, kept by the storage as a prepared image of the label's image when the
   * zone is destroyed. Present when the storage keeps prepared images (storage-zfs).
   */
  readonly prepared?: PreparedSnapshots;

  /** The storage's name of the label's golden image: the last component of its dataset. */
  private imageName(label: string): string {
    return this.image(label).dataset.split('/').at(-1)!;
  }

  /** What `helios config check` and start report: each image's snapshot and the etherstub must exist. */
  async checkHost(): Promise<void> {
    const problems: string[] = [];
    for (const [label, image] of Object.entries(this.o.config.images)) {
      const snap = `${image.dataset}@${image.snapshot}`;
      const r = await this.host.tryZfs(['list', '-H', '-o', 'name', '-t', 'snapshot', snap]);
      if (r.code !== 0 || r.stdout.trim() !== snap) problems.push(`images.${label}: snapshot ${snap} does not exist (zfs snapshot ${snap})`);
    }
    const stub = this.o.config.network.etherstub;
    if (stub) {
      const r = await this.host.tryDladm(['show-link', '-p', '-o', 'class', stub]);
      if (r.code !== 0 || r.stdout.trim() !== 'etherstub') problems.push(`network.etherstub: ${stub} ${r.code === 0 ? `is a ${r.stdout.trim()}, not an etherstub` : 'does not exist'} (dladm create-etherstub ${stub})`);
    }
    if (problems.length) throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve ${this.id}: ${problems.join('; ')}`, { facts: { problems } });
  }

  private image(label: string): Image {
    const image = Object.hasOwn(this.o.config.images, label) ? this.o.config.images[label] : undefined;
    if (image) return withImageDefaults(image);
    throw new HeliosError('E_LABEL_NOT_FOUND', `runtime-bhyve ${this.id} does not serve label ${JSON.stringify(label)}; it serves ${this.labels.join(', ')} (config: images)`);
  }

  machineSize(label: string): MachineSize {
    const image = this.image(label);
    const m = /^([0-9]+)([kMGTPE]?)$/.exec(image.ram)!;
    return { cpus: image.vcpus, memoryMb: Math.max(1, Math.floor(Number(m[1]) * MB[m[2]!]!)) };
  }

  warmPaths(label: string): readonly string[] {
    return this.image(label).warmPaths ?? [];
  }

  private zonepath(zone: string): string {
    return join(this.o.config.zonepathRoot, zone);
  }

  private userDataFile(zone: string): string {
    return join(this.o.stateDir, 'user-data', zone);
  }

  async provision(spec: MachineSpec): Promise<Machine> {
    const image = this.image(spec.label);
    const prefix = this.o.config.namePrefix;
    const { zone, vnic } = machineNames(prefix, spec.jobId);
    const agent = parseEndpoint(spec.agent.endpoint);
    const extra = this.o.config.network.allow.map(parseEndpoint);
    const proxy = spec.egress ? parseEndpoint(spec.egress.proxy) : null;
    const actions = spec.actionsRuntime ? parseEndpoint(spec.actionsRuntime.endpoint) : null;
    const warm = spec.volumes.find((v) => v.kind === 'warm');
    const warmDataset = warm ? zvolDataset(warm.location) : null;
    if (warm && !warmDataset) {
      throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve: the warm volume ${warm.id} is at ${warm.location}, not a zvol; a bhyve guest can only get it as a disk (use a zvol-backed storage)`);
    }
    // bootTimeoutSeconds bounds the whole start, from the clone to the agent's Hello.
    const deadline = Date.now() + this.o.config.bootTimeoutSeconds * 1000;
    const left = () => Math.max(1, deadline - Date.now());
    const record = await this.reserve(spec, zone, vnic);
    const machine: Machine = { id: zone, jobId: spec.jobId, label: spec.label };
    const milestone = (m: 'booted' | 'console') => {
      try {
        spec.onMilestone?.(m);
      } catch {
        // A reporting hook must not break a boot.
      }
    };
    try {
      const clone = await this.o.storage.cloneImage(image.dataset.split('/').at(-1)!, spec.jobId, ...(spec.prepared !== undefined ? [spec.prepared] : []));
      record.clone = clone;
      this.records.write(record);
      const dataset = zvolDataset(clone.location);
      if (!dataset) throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve: the storage cloned ${image.dataset} to ${clone.location}, not a zvol; the image must be a ZFS volume`);
      if (image.diskSize) await this.growDisk(dataset, image.diskSize);

      const net = this.o.config.network;
      if (net.etherstub) {
        await this.host.dladm(['create-vnic', '-t', '-l', net.etherstub, '-p', `protection=mac-nospoof,ip-nospoof,allowed-ips=${record.address}`, vnic], `creating VNIC ${vnic}`);
      }
      const zonepath = this.zonepath(zone);
      const userDataFile = this.userDataFile(zone);
      mkdirSync(join(this.o.stateDir, 'user-data'), { recursive: true, mode: 0o700 });
      writeFileSync(userDataFile, userData({ jobId: spec.jobId, endpoint: spec.agent.endpoint, token: spec.agent.token, ...(spec.egress ? { egressProxy: spec.egress.proxy } : {}), guest: this.o.config.guest }), { mode: 0o600 });
      const commandFile = join(this.o.stateDir, 'user-data', `${zone}.zcfg`);
      writeFileSync(
        commandFile,
        zonecfgCommands({
          zonepath,
          net: net.etherstub ? { physical: vnic } : { globalNic: net.globalNic!, name: vnic },
          address: record.address,
          prefixLength: this.subnet.prefixLength,
          gateway: net.gateway,
          bootdisk: { dataset },
          disks: warmDataset ? [{ dataset: warmDataset }] : [],
          // The orchestrator may ask for less than the image's size (a vmactions step's mem/cpu), never more.
          ram: spec.memoryMb < this.machineSize(spec.label).memoryMb ? `${spec.memoryMb}M` : image.ram,
          vcpus: Math.min(spec.cpus, image.vcpus),
          bootrom: image.bootrom,
          resolvers: net.resolvers,
          cloudInit: userDataFile,
        }),
        { mode: 0o600 },
      );
      try {
        await this.host.zonecfg(['-z', zone, '-f', commandFile], `configuring zone ${zone}`);
      } finally {
        rmSync(commandFile, { force: true });
      }
      const install = await this.host.tryZoneadm(['-z', zone, 'install'], left());
      if (install.code !== 0) {
        if (Date.now() >= deadline) throw this.bootFailure(zone, `zoneadm install did not finish within bootTimeoutSeconds (${this.o.config.bootTimeoutSeconds} s)`, 'E_BHYVE_BOOT_TIMEOUT');
        throw bhyveErrors.create('E_BHYVE_COMMAND_FAILED', `runtime-bhyve: installing zone ${zone} failed (zoneadm -z ${zone} install exited ${install.code}): ${install.stderr.trim() || install.stdout.trim()}`, { facts: { zone, code: install.code } });
      }
      // After install (the brand makes the zonepath) and before boot (the brand loads it when the zone readies).
      mkdirSync(join(zonepath, 'etc'), { recursive: true, mode: 0o755 });
      writeFileSync(join(zonepath, 'etc', 'ipf.conf'), ipfRules({ agent, proxy, actions, extra }));
      const boot = await this.host.tryZoneadm(['-z', zone, 'boot'], left());
      if (boot.code !== 0) {
        if (Date.now() >= deadline) throw this.bootFailure(zone, `zoneadm boot did not finish within bootTimeoutSeconds (${this.o.config.bootTimeoutSeconds} s)`, 'E_BHYVE_BOOT_TIMEOUT');
        throw this.bootFailure(zone, `zoneadm boot exited ${boot.code}: ${boot.stderr.trim()}`);
      }
      milestone('booted');
      this.consoles.set(zone, new ConsoleStream(join(zonepath, 'root', 'tmp', 'vm.com1'), () => milestone('console')));
      this.watchHello(spec, zone, deadline);
      return machine;
    } catch (err) {
      await this.destroy(machine).catch((e: unknown) => this.o.logger?.error('teardown after a failed provision failed', { machine: zone, error: e }));
      throw err;
    }
  }

  /**
   * Fails the machine (MachineSpec.onFailed) when the agent's Hello has not come by the deadline. Only
   * when the orchestrator tells us of the Hello (agentConnected) and listens (onFailed).
   */
  private watchHello(spec: MachineSpec, zone: string, deadline: number): void {
    const { agentConnected, onFailed } = spec;
    if (!agentConnected || !onFailed) return;
    const timer = setTimeout(() => {
      this.helloWatches.delete(zone);
      this.o.logger?.warn('the agent did not say Hello in time; failing the machine', { machine: zone, bootTimeoutSeconds: this.o.config.bootTimeoutSeconds });
      try {
        onFailed(this.bootFailure(zone, `the agent did not say Hello within bootTimeoutSeconds (${this.o.config.bootTimeoutSeconds} s); check the guest's console below and that it can reach ${spec.agent.endpoint}`, 'E_BHYVE_BOOT_TIMEOUT'));
      } catch (err) {
        this.o.logger?.error('reporting a failed machine failed', { machine: zone, error: err });
      }
    }, Math.max(1, deadline - Date.now()));
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      this.helloWatches.delete(zone);
    };
    this.helloWatches.set(zone, stop);
    void agentConnected.then(stop, stop);
  }

  private bootFailure(zone: string, reason: string, code: 'E_BHYVE_BOOT_FAILED' | 'E_BHYVE_BOOT_TIMEOUT' = 'E_BHYVE_BOOT_FAILED'): HeliosError {
    const zonepath = this.zonepath(zone);
    const tail = (file: string) => {
      try {
        const text = readFileSync(file, 'utf8');
        return text.length > LOG_TAIL ? `…${text.slice(-LOG_TAIL)}` : text;
      } catch {
        return '(missing)';
      }
    };
    const consoleTail = this.consoles.get(zone)?.tail();
    const logs = [
      `--- ${zonepath}/log/zone.log ---`,
      tail(join(zonepath, 'log', 'zone.log')).trimEnd(),
      `--- ${zonepath}/root/tmp/init.log ---`,
      tail(join(zonepath, 'root', 'tmp', 'init.log')).trimEnd(),
      ...(consoleTail ? ['--- console (last lines) ---', ...consoleTail] : []),
    ].join('\n');
    const what = code === 'E_BHYVE_BOOT_TIMEOUT' ? 'did not start in time' : 'did not boot';
    return bhyveErrors.create(code, `runtime-bhyve: zone ${zone} ${what} (${reason})\n${logs}`, { facts: { zone } });
  }

  private async growDisk(dataset: string, size: string): Promise<void> {
    const m = /^([0-9]+)([KMGT]?)$/.exec(size)!;
    const wanted = Number(m[1]) * BYTES[m[2]!]!;
    const current = Number((await this.host.zfs(['get', '-Hp', '-o', 'value', 'volsize', dataset], `reading the volsize of ${dataset}`)).stdout.trim());
    if (!(current >= wanted)) await this.host.zfs(['set', `volsize=${size}`, dataset], `growing ${dataset} to ${size}`);
  }

  /** A machine record with a free address, within maxMachines; written before any host command. */
  private reserve(spec: MachineSpec, zone: string, vnic: string): Promise<MachineRecord> {
    const next = this.allocation.then(() => {
      const all = this.records.all().filter((r) => r.zone !== zone);
      if (all.length >= this.o.config.maxMachines) {
        throw bhyveErrors.create('E_BHYVE_CAPACITY', `runtime-bhyve ${this.id}: ${all.length} machines exist, maxMachines is ${this.o.config.maxMachines}`);
      }
      const address = this.records.read(zone)?.address ?? allocateAddress(this.subnet, this.o.config.network.gateway, all.map((r) => r.address));
      const record: MachineRecord = { zone, vnic, jobId: spec.jobId, label: spec.label, address, clone: null, createdAt: new Date().toISOString() };
      this.records.write(record);
      return record;
    });
    this.allocation = next.catch(() => undefined);
    return next;
  }

  console(machine: MachineRef): AsyncIterable<string> {
    const stream = this.consoles.get(machine.id);
    return stream ? stream.lines() : (async function* () {})();
  }

  /** Halt → uninstall -F → delete -F → VNIC → clone → zonepath, each "already gone" = done; then verify. */
  async destroy(ref: MachineRef): Promise<void> {
    const prefix = this.o.config.namePrefix;
    if (LINK_NAME.test(ref.id) && isOurVnic(prefix, ref.id)) {
      // An orphan VNIC whose zone and record are gone (list() reports those by link name).
      await this.deleteVnic(ref.id);
      return;
    }
    if (!ZONE_NAME.test(ref.id) || jobIdOfZone(prefix, ref.id) === null) {
      throw bhyveErrors.create('E_BHYVE_NAME_INVALID', `runtime-bhyve ${this.id}: ${JSON.stringify(ref.id)} is not a machine of this runtime`);
    }
    const zone = ref.id;
    const jobId = jobIdOfZone(prefix, zone)!;
    const record = this.records.read(zone);
    const vnic = record?.vnic ?? vnicOf(prefix, zone);
    this.helloWatches.get(zone)?.();
    this.consoles.get(zone)?.close();
    this.consoles.delete(zone);

    await this.removeZone(zone);
    if (this.o.config.network.etherstub) await this.deleteVnic(vnic);
    const causes: string[] = [];
    for (const clone of await this.clonesOf(jobId, record)) {
      // The storage retries a busy destroy with backoff; still failing, the rest of the teardown goes on.
      await this.o.storage.release(clone).catch((err: unknown) => causes.push(`releasing ${clone.id}: ${(err as Error).message}`));
    }
    await this.removeZonepath(zone).catch((err: unknown) => causes.push(`removing the zonepath: ${(err as Error).message}`));
    rmSync(this.userDataFile(zone), { force: true });

    const left = await this.leftovers(zone, vnic, jobId);
    if (left.length) {
      this.o.logger?.error('machine teardown left something behind', { machine: zone, left, causes });
      throw bhyveErrors.create('E_BHYVE_TEARDOWN_INCOMPLETE', `runtime-bhyve: after tearing down ${zone} these remain: ${left.join(', ')}${causes.length ? ` (${causes.join('; ')})` : ''}; the reconciler retries at the next start`, { facts: { left, causes } });
    }
    this.records.remove(zone);
  }

  private async removeZone(zone: string): Promise<void> {
    // Act on the state the zone is in, so a teardown interrupted anywhere picks up where it stopped.
    for (let step = 0; step < 6; step++) {
      const z = await this.host.zone(zone);
      if (!z) return;
      if (z.state === 'running' || z.state === 'ready' || z.state === 'shutting_down' || z.state === 'down' || z.state === 'mounted') {
        await this.host.tryZoneadm(['-z', zone, 'halt']);
      } else if (z.state === 'installed' || z.state === 'incomplete') {
        await this.host.tryZoneadm(['-z', zone, 'uninstall', '-F']);
      } else {
        await this.host.tryZonecfg(['-z', zone, 'delete', '-F']);
      }
    }
  }

  private async deleteVnic(vnic: string): Promise<void> {
    if (!(await this.host.vnics()).includes(vnic)) return;
    await this.host.tryDladm(['delete-vnic', vnic]);
  }

  private async clonesOf(jobId: string, record: MachineRecord | null): Promise<Volume[]> {
    const fromList = (await this.o.storage.list())
      .filter((r) => r.kind === 'image-clone' && r.jobId === jobId)
      .map((r): Volume => ({ id: r.id, kind: 'image-clone', location: '', jobId }));
    const all = record?.clone ? [record.clone, ...fromList.filter((v) => v.id !== record.clone!.id)] : fromList;
    return all;
  }

  private async removeZonepath(zone: string): Promise<void> {
    const zonepath = this.zonepath(zone);
    // Only a dataset mounted exactly at the zonepath: `zfs list <path>` of a plain directory names its parent.
    const r = await this.host.tryZfs(['list', '-H', '-o', 'name,mountpoint', zonepath]);
    if (r.code === 0) {
      const [name, mountpoint] = r.stdout.trim().split('\t');
      if (name && mountpoint === zonepath) await this.destroyRetryingBusy(name);
    }
    rmSync(zonepath, { recursive: true, force: true });
  }

  /** `zfs destroy -r`, retried with backoff while the dataset is busy (a halted zone's last processes exiting). */
  private async destroyRetryingBusy(dataset: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.host.tryZfs(['destroy', '-r', dataset]);
      if (r.code === 0 || /does not exist/.test(r.stderr)) return;
      if (!/busy/i.test(r.stderr) || attempt >= BUSY_RETRIES) throw bhyveErrors.create('E_BHYVE_COMMAND_FAILED', `runtime-bhyve: zfs destroy -r ${dataset} exited ${r.code}: ${r.stderr.trim()}`);
      await new Promise((res) => setTimeout(res, Math.min(2000, 100 * 2 ** attempt)));
    }
  }

  private async leftovers(zone: string, vnic: string, jobId: string): Promise<string[]> {
    const left: string[] = [];
    if (await this.host.zone(zone)) left.push(`zone ${zone}`);
    if (this.o.config.network.etherstub && (await this.host.vnics()).includes(vnic)) left.push(`VNIC ${vnic}`);
    for (const r of await this.o.storage.list()) if (r.kind === 'image-clone' && r.jobId === jobId) left.push(`clone ${r.id}`);
    if (existsSync(this.zonepath(zone))) left.push(`zonepath ${this.zonepath(zone)}`);
    return left;
  }

  /** Zones with our prefix, our VNICs, image clones of jobs and machine records: everything we may own. */
  async list(): Promise<MachineRef[]> {
    const prefix = this.o.config.namePrefix;
    const found = new Map<string, MachineRef>();
    const add = (zone: string, jobId: string | null) => found.set(zone, { id: zone, jobId });
    for (const r of this.records.all()) add(r.zone, r.jobId);
    for (const z of await this.host.zones()) {
      const jobId = jobIdOfZone(prefix, z.name);
      if (jobId !== null) add(z.name, jobId);
    }
    for (const r of await this.o.storage.list()) {
      if (r.kind !== 'image-clone' || !r.jobId) continue;
      try {
        add(machineNames(prefix, r.jobId).zone, r.jobId);
      } catch {
        // A clone of a job id we could never have made a zone for is not ours.
      }
    }
    if (this.o.config.network.etherstub) {
      const known = new Set([...found.keys()].map((zone) => this.records.read(zone)?.vnic ?? vnicOf(prefix, zone)));
      for (const link of await this.host.vnics()) if (isOurVnic(prefix, link) && !known.has(link)) found.set(link, { id: link, jobId: null });
    }
    return [...found.values()];
  }
}
