/**
 * `zoneadm`: list, verify, install, uninstall, boot, halt, reboot with the zones(7) state machine
 * (configured → installed → running; halt back to installed; an interrupted install leaves
 * incomplete). Exit 0 ok, 1 error, 2 usage. A running zone whose VM process died (guest power-off,
 * kill) is found halted by the next command, as the brand halts a zone when bhyve exits.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, lstatSync, mkdirSync, openSync, closeSync, readdirSync, rmSync, statSync, chmodSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planBoot } from './bhyveBrand.js';
import { writeSeed } from './cloudInitSeed.js';
import { takeFault } from './faults.js';
import { ipfRuleLines } from './ipfModel.js';
import { datasetFacts } from './realZfs.js';
import { SimError, usage } from './simError.js';
import { killGuest, signalGuest } from './guestProcesses.js';
import { SimState, pidAlive, type ZoneRecord } from './state.js';
import { attrValue, ipType, zonepath } from './zoneConfig.js';
import { verifyConfig } from './zonecfgSession.js';
import { zoneLog } from './zoneLog.js';
import type { VmSpec } from './vmSpec.js';

const USAGE = 'usage: zoneadm [-z zone] subcommand [options]\n  list [-cipv]\n  -z zone verify|install|uninstall [-F]|boot|halt|reboot';

export async function zoneadm(args: string[], state = new SimState()): Promise<string> {
  let zone: string | undefined;
  let i = 0;
  if (args[0] === '-z') {
    zone = args[1];
    if (!zone) throw usage(USAGE);
    i = 2;
  }
  const sub = args[i];
  const rest = args.slice(i + 1);
  if (!sub) throw usage(USAGE);
  if (sub === 'list') return list(state, rest, zone);
  if (!zone) throw usage(`${sub}: a zone is required (-z zone)\n${USAGE}`);
  if (zone === 'global') throw new SimError(`zone 'global': ${sub} operation is invalid for the global zone.`);
  switch (sub) {
    case 'verify':
      noArgs(sub, rest);
      return verify(state, zone);
    case 'install':
      return install(state, zone, rest);
    case 'uninstall':
      return uninstall(state, zone, rest);
    case 'boot':
      return boot(state, zone, rest);
    case 'halt':
      noArgs(sub, rest);
      return halt(state, zone);
    case 'reboot':
      noArgs(sub, rest);
      await halt(state, zone, 'reboot');
      return boot(state, zone, []);
    default:
      throw usage(`unknown subcommand '${sub}' (the simulator models list, verify, install, uninstall, boot, halt, reboot)\n${USAGE}`);
  }
}

function noArgs(sub: string, rest: string[]): void {
  if (rest.length) throw usage(`${sub}: unexpected argument '${rest[0]}'\n${USAGE}`);
}

function mustExist(state: SimState, zone: string): ZoneRecord {
  const record = state.readZone(zone);
  if (!record) throw new SimError(`${zone}: No such zone configured`);
  return reconcile(state, record);
}

/** A running zone whose VM process is gone has halted. */
export function reconcile(state: SimState, record: ZoneRecord): ZoneRecord {
  if ((record.state === 'running' || record.state === 'ready') && (!record.vmPid || !pidAlive(record.vmPid))) {
    // A VM that is gone takes every process of its guest with it.
    signalGuest(record.vmPid, record.guestRoot);
    const halted: ZoneRecord = { ...record, state: 'installed' };
    delete halted.guestRoot;
    delete halted.vmPid;
    delete halted.zoneid;
    state.writeZone(halted);
    zoneLog(zonepath(record.config), [`zone ${record.name}: bhyve exited; zone halted`]);
    return halted;
  }
  return record;
}

function escapeField(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

function list(state: SimState, rest: string[], zone?: string): string {
  const flags = new Set<string>();
  for (const a of rest) {
    if (!/^-[cipv]+$/.test(a)) throw usage(`list: illegal option '${a}'\n${USAGE}`);
    for (const c of a.slice(1)) flags.add(c);
  }
  let zones = state.zones().map((z) => reconcile(state, z));
  if (zone && zone !== 'global') {
    zones = zones.filter((z) => z.name === zone);
    if (!zones.length) throw new SimError(`${zone}: No such zone configured`);
  } else if (!zone || zone === 'global') {
    if (!flags.has('c')) zones = zones.filter((z) => z.state === 'running' || (flags.has('i') && z.state !== 'configured'));
  }
  const running = zones.filter((z) => z.state === 'running').sort((a, b) => (a.zoneid ?? 0) - (b.zoneid ?? 0));
  const others = zones.filter((z) => z.state !== 'running');
  const rows: string[][] = [];
  if (!zone || zone === 'global') rows.push(['0', 'global', 'running', '/', '', 'ipkg', 'shared']);
  for (const z of [...running, ...others]) {
    rows.push([z.zoneid !== undefined ? String(z.zoneid) : '-', z.name, z.state, zonepath(z.config), z.uuid, z.config.global.brand ?? 'ipkg', ipType(z.config) === 'exclusive' ? 'excl' : 'shared']);
  }
  if (flags.has('p')) return rows.map((r) => r.map(escapeField).join(':') + '\n').join('');
  if (flags.has('v')) {
    const head = ['ID', 'NAME', 'STATUS', 'PATH', 'BRAND', 'IP'];
    const table = [head, ...rows.map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, r[5]!, r[6]!])];
    const widths = head.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    return table.map((r) => r.map((c, k) => c.padEnd(widths[k]!)).join(' ').trimEnd() + '\n').join('');
  }
  return rows.map((r) => `${r[1]}\n`).join('');
}

/** zoneadm verify: the configuration, the zonepath rules and the brand's checks. */
async function verify(state: SimState, zone: string): Promise<string> {
  const record = mustExist(state, zone);
  const problems = [...zonepathProblems(record, record.state === 'configured'), ...(await brandProblems(state, record))];
  if (problems.length) throw new SimError(problems.map((p) => `zone '${zone}': ${p}`).join('\n'));
  return '';
}

function zonepathProblems(record: ZoneRecord, beforeInstall: boolean): string[] {
  const path = zonepath(record.config);
  const problems: string[] = [];
  if (!path) return ['zonepath not specified'];
  const parent = dirname(path);
  if (!existsSync(parent)) problems.push(`the parent of zonepath ${path} does not exist`);
  else if ((statSync(parent).mode & 0o022) !== 0) problems.push(`the parent directory of ${path} must not be group or world writable (mode ${(statSync(parent).mode & 0o777).toString(8)})`);
  if (existsSync(path)) {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) problems.push(`zonepath ${path} must not be a symbolic link`);
    else if (!st.isDirectory()) problems.push(`zonepath ${path} is not a directory`);
    else if (beforeInstall && existsSync(join(path, 'root'))) problems.push(`${join(path, 'root')} already exists; remove it or choose another zonepath`);
  }
  return problems;
}

async function brandProblems(state: SimState, record: ZoneRecord): Promise<string[]> {
  try {
    verifyConfig(record.name, record.config, { isVnic: (l) => state.readLinks().links.some((x) => x.name === l && x.class === 'vnic') });
  } catch (err) {
    return [(err as Error).message];
  }
  const plan = planBoot(record.name, record.config, state.readLinks().links);
  const problems = [...plan.problems];
  for (const d of plan.disks) {
    const facts = await datasetFacts(d.dataset);
    if (!facts) problems.push(`attr ${d.attr}: zvol ${d.dataset} does not exist`);
    else if (!facts.volsize) problems.push(`attr ${d.attr}: ${d.dataset} is not a volume (create it with zfs create -V, or clone a volume)`);
  }
  return problems;
}

async function install(state: SimState, zone: string, rest: string[]): Promise<string> {
  for (const a of rest) if (!/^-[a-zA-Z]/.test(a)) throw usage(`install: unexpected argument '${a}'`);
  const seconds = await state.locked(() => {
    const record = mustExist(state, zone);
    if (record.state !== 'configured') throw new SimError(`zone '${zone}': must be in the configured state to install (it is ${record.state})${record.state === 'incomplete' ? '; uninstall -F it first' : ''}`);
    verifyConfig(zone, record.config, { isVnic: (l) => state.readLinks().links.some((x) => x.name === l && x.class === 'vnic') });
    const problems = zonepathProblems(record, true);
    if (problems.length) throw new SimError(problems.map((p) => `zone '${zone}': ${p}`).join('\n'));
    const path = zonepath(record.config);
    const created = !existsSync(path);
    if (created) mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
    state.writeZone({ ...record, state: 'incomplete', createdZonepath: created });
    const slow = takeFault(state, 'slow-install', zone);
    return slow ? (slow.seconds ?? 5) : 0;
  });
  // The slow part runs without the lock, as a real install does not stop other zones' commands.
  if (seconds > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
  return state.locked(() => {
    const record = state.readZone(zone);
    if (!record || record.state !== 'incomplete') throw new SimError(`zone '${zone}': changed while installing; it is ${record?.state ?? 'gone'}`);
    const path = zonepath(record.config);
    for (const d of ['root/tmp', 'root/etc', 'root/dev', 'log']) mkdirSync(join(path, d), { recursive: true, mode: 0o755 });
    chmodSync(join(path, 'root/tmp'), 0o1777);
    const uuid = randomUUID();
    zoneLog(path, [`zone ${zone}: installed (bhyve brand; uuid ${uuid})`]);
    state.writeZone({ ...record, state: 'installed', uuid });
    return '';
  });
}

async function uninstall(state: SimState, zone: string, rest: string[]): Promise<string> {
  const force = rest.includes('-F');
  for (const a of rest) if (a !== '-F') throw usage(`uninstall: unexpected argument '${a}'\n${USAGE}`);
  return state.locked(() => {
    const record = mustExist(state, zone);
    if (record.state === 'running' || record.state === 'ready') throw new SimError(`zone '${zone}': uninstall operation is invalid for ${record.state} zones.`);
    if (record.state === 'configured') throw new SimError(`zone '${zone}': uninstall operation is invalid for configured zones.`);
    if (!force) throw new SimError(`zone '${zone}': uninstall needs confirmation, which a non-interactive run cannot give; use uninstall -F`);
    const path = zonepath(record.config);
    if (existsSync(path)) {
      // Like illumos, uninstall removes what is under the zonepath, and the zonepath if install made it.
      for (const entry of readdirSync(path)) rmSync(join(path, entry), { recursive: true, force: true });
      if (record.createdZonepath) rmSync(path, { recursive: true, force: true });
    }
    const next: ZoneRecord = { ...record, state: 'configured', uuid: '' };
    delete next.createdZonepath;
    state.writeZone(next);
    return '';
  });
}

const here = dirname(fileURLToPath(import.meta.url));

async function boot(state: SimState, zone: string, rest: string[]): Promise<string> {
  if (rest.length && rest[0] !== '--') throw usage(`boot: the simulator takes no boot options (got '${rest[0]}')\n${USAGE}`);
  return state.locked(async () => {
    const record = mustExist(state, zone);
    if (record.state === 'running') throw new SimError(`zone '${zone}': zone is already booted`);
    if (record.state !== 'installed') throw new SimError(`zone '${zone}': must be installed before boot.`);
    const path = zonepath(record.config);
    const links = state.readLinks().links;
    const plan = planBoot(zone, record.config, links);
    const problems = await brandProblems(state, record);
    const log = (lines: string[]) => zoneLog(path, lines);
    log([`zone ${zone}: booting`, `bhyve brand: ${plan.bhyveArgs.join(' ')}`]);
    const initLog = join(path, 'root', 'tmp', 'init.log');
    if (problems.length) {
      log([...problems.map((p) => `bhyve brand: ${p}`), `zone ${zone}: boot failed`]);
      throw new SimError(`zone '${zone}': boot failed; ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}; see ${join(path, 'log', 'zone.log')}`);
    }
    const fault = takeFault(state, 'boot-fail', zone);
    if (fault) {
      appendFileSync(initLog, `bhyve: vm_create: failed to allocate guest memory (${attrValue(record.config, 'ram') ?? '1G'}): Resource temporarily unavailable\n`);
      log([`bhyve brand: bhyve exited with status 4 during startup`, `zone ${zone}: boot failed (injected fault boot-fail)`]);
      throw new SimError(`zone '${zone}': call to zoneadmd failed: boot failed; see ${join(path, 'log', 'zone.log')}`);
    }
    const ipf = join(path, 'etc', 'ipf.conf');
    let ipfLoaded: string[] | null = null;
    if (existsSync(ipf)) {
      const rules = ipfRuleLines(readFileSync(ipf, 'utf8'));
      const bad = rules.find((r) => !/^(pass|block|log|count|skip|auth|call|decapsulate)\b/.test(r));
      if (bad) {
        log([`ipf: ${ipf}: syntax error in rule '${bad}'`, `zone ${zone}: boot failed`]);
        throw new SimError(`zone '${zone}': boot failed: ipf rules in ${ipf} do not load; see ${join(path, 'log', 'zone.log')}`);
      }
      log([`ipf: loaded ${rules.length} rules from ${ipf} into the global-zone-controlled ipf of ${zone}`]);
      ipfLoaded = rules;
    }
    const seed = writeSeed(zone, record.uuid, path, record.config, links);
    const disk = plan.disks.find((d) => d.attr === 'bootdisk') ?? plan.disks[0]!;
    const facts = (await datasetFacts(disk.dataset))!;
    if (!facts.mounted || facts.mountpoint === '-' || facts.mountpoint === 'none') {
      log([`bhyve brand: disk ${disk.dataset} is not readable (its emulating filesystem is not mounted)`, `zone ${zone}: boot failed`]);
      throw new SimError(`zone '${zone}': boot failed; disk ${disk.dataset} is not mounted (the simulator reads a zvol through its filesystem's mountpoint)`);
    }
    const consoleAttr = attrValue(record.config, 'console');
    const consolePath = consoleAttr?.startsWith('socket,') ? join(path, 'root', consoleAttr.slice('socket,'.length)) : null;
    const noAgent = takeFault(state, 'guest-no-agent', zone);
    const crash = takeFault(state, 'guest-crash', zone);
    const spec: VmSpec = {
      zone,
      uuid: record.uuid,
      zonepath: path,
      guestRoot: facts.mountpoint,
      consolePath,
      seedDir: seed.dir,
      seedKind: seed.kind,
      noDatasource: noAgent !== null || seed.kind === 'url',
      crashAfterSeconds: crash ? (crash.seconds ?? 1) : undefined,
      firmwareMs: Number(process.env.HELIOS_ILLUMOS_SIM_FIRMWARE_MS ?? 300),
      ipfRules: ipfLoaded,
    };
    const pid = await startVm(spec, initLog);
    if (pid === null) {
      log([`bhyve brand: bhyve exited during startup; see ${initLog}`, `zone ${zone}: boot failed`]);
      throw new SimError(`zone '${zone}': boot failed; bhyve exited during startup; see ${initLog}`);
    }
    const zoneid = state.next('zoneid');
    state.writeZone({ ...record, state: 'running', zoneid, vmPid: pid, guestRoot: facts.mountpoint });
    log([`zone ${zone}: running (zoneid ${zoneid}, bhyve pid ${pid})`]);
    return '';
  });
}

/** Starts the VM process in its own session; resolves its pid once its console listens, or null if it died. */
function startVm(spec: VmSpec, initLog: string): Promise<number | null> {
  const out = openSync(initLog, 'a');
  const child = spawn(process.execPath, [join(here, 'vm.js'), JSON.stringify(spec)], {
    detached: true,
    // Not the caller's cwd: the VM must not keep whatever directory zoneadm ran in busy.
    cwd: '/',
    stdio: ['ignore', out, out, 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HELIOS_ILLUMOS_SIM_GUEST_PATH: process.env.HELIOS_ILLUMOS_SIM_GUEST_PATH ?? '' },
  });
  closeSync(out);
  return new Promise((resolve) => {
    const ready = child.stdio[3] as NodeJS.ReadableStream;
    let said = '';
    let settled = false;
    const settle = (v: number | null) => {
      if (settled) return;
      settled = true;
      ready.removeAllListeners();
      (ready as unknown as { destroy(): void }).destroy();
      child.removeAllListeners();
      child.unref();
      resolve(v);
    };
    ready.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('ready')) settle(child.pid ?? null);
    });
    ready.on('error', () => settle(null));
    child.on('exit', () => settle(null));
  });
}

async function halt(state: SimState, zone: string, why = 'halt'): Promise<string> {
  return state.locked(async () => {
    const record = mustExist(state, zone);
    if (record.state === 'configured') throw new SimError(`zone '${zone}': must be installed before ${why}.`);
    if (record.state === 'incomplete') throw new SimError(`zone '${zone}': ${why} operation is invalid for incomplete zones.`);
    if (record.state !== 'running' && record.state !== 'ready') return '';
    const pid = record.vmPid!;
    // Like a real halt, done when every process of the guest is gone (their cwd holds the disk busy),
    // also the ones that left the VM's process group (a guest agent's steps run in their own sessions).
    const left = await killGuest(pid, record.guestRoot);
    if (left.length) throw new SimError(`zone '${zone}': processes of the zone (${left.join(', ')}) did not exit after SIGKILL`);
    const consoleAttr = attrValue(record.config, 'console');
    if (consoleAttr?.startsWith('socket,')) rmSync(join(zonepath(record.config), 'root', consoleAttr.slice('socket,'.length)), { force: true });
    const next: ZoneRecord = { ...record, state: 'installed' };
    delete next.vmPid;
    delete next.zoneid;
    delete next.guestRoot;
    state.writeZone(next);
    zoneLog(zonepath(record.config), [`zone ${zone}: halted (${why})`]);
    return '';
  });
}

