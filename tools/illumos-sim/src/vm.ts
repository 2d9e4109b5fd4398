/**
 * The "VM" a booted bhyve zone runs: a process in its own session (the zone's process group, which
 * `zoneadm halt` kills). Its stdout/stderr are bhyve's (init.log). It serves the console on the
 * UNIX socket of `console=socket,<path>` like illumos bhyve's uart socket backend: one client at a
 * time (a second is closed at once), output dropped while nobody is connected. Then it "boots":
 * firmware and kernel lines, cloud-init reading the NoCloud seed, and the user-data run as the
 * guest's first boot with the boot disk's filesystem as the guest root.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prepareUserData } from './cloudConfig.js';
import type { VmSpec } from './vmSpec.js';

const spec = JSON.parse(process.argv[2]!) as VmSpec;
const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();
let client: Socket | null = null;

function bhyveLog(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Console output: a serial line (\n → \r\n), to the one client or nowhere. */
function consoleWrite(text: string | Buffer): void {
  if (!client) return;
  const s = text.toString('utf8').replace(/\r?\n/g, '\r\n');
  client.write(s);
}

const uptime = () => ((Date.now() - started) / 1000).toFixed(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(): Promise<void> {
  if (!spec.consolePath) return;
  mkdirSync(dirname(spec.consolePath), { recursive: true });
  rmSync(spec.consolePath, { force: true });
  const server = createServer((socket) => {
    if (client) {
      socket.destroy();
      return;
    }
    client = socket;
    socket.on('error', () => {});
    socket.on('close', () => {
      if (client === socket) client = null;
    });
    // Keystrokes from the client go to the guest's console input, which the sim does not model.
    socket.on('data', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.consolePath!, () => resolve());
  });
}

async function main(): Promise<void> {
  bhyveLog(`bhyve: starting ${spec.zone} (guest root ${spec.guestRoot})`);
  await listen();
  bhyveLog(`bhyve: console ${spec.consolePath ?? '/dev/zconsole'} listening`);
  // Tell zoneadm boot that the VM is up, then close the channel.
  const ready = createWriteStream('', { fd: 3 });
  ready.end('ready\n');
  await sleep(spec.firmwareMs);
  consoleWrite(`BdsDxe: loading Boot0001 "UEFI BHYVE SATA DISK BHYVE-${spec.uuid.slice(0, 8).toUpperCase()}" from PciRoot(0x0)/Pci(0x4,0x0)\n`);
  consoleWrite(`BdsDxe: starting Boot0001 "UEFI BHYVE SATA DISK BHYVE-${spec.uuid.slice(0, 8).toUpperCase()}" from PciRoot(0x0)/Pci(0x4,0x0)\n`);
  consoleWrite(`[    0.000000] illumos-sim guest kernel booting (zone ${spec.zone})\n`);
  consoleWrite(`[    0.100000] DMI: BHYVE, BIOS 14.0 serial ds=nocloud;i=${spec.uuid}\n`);
  if (spec.crashAfterSeconds !== undefined) {
    setTimeout(() => {
      consoleWrite(`[  ${uptime()}] reboot: Power down\n`);
      bhyveLog('bhyve: guest powered off (injected fault guest-crash)');
      powerOff(0);
    }, spec.crashAfterSeconds * 1000);
  }
  await cloudInit();
  consoleWrite(`\n${spec.zone} login: `);
}

async function cloudInit(): Promise<void> {
  const ci = `cloud-init[${process.pid}]`;
  if (spec.seedKind === 'off') {
    consoleWrite(`[  ${uptime()}] cloud-init: no seed attached (cloud-init=off)\n`);
    return;
  }
  consoleWrite(`${ci}: Cloud-init v. 23.4-illumos-sim running 'init' at ${new Date().toUTCString()}. Up ${uptime()} seconds.\n`);
  if (spec.noDatasource || !spec.seedDir) {
    consoleWrite(`${ci}: No datasource found! Likely bad things to come!\n`);
    consoleWrite(`${ci}: Cloud-init v. 23.4-illumos-sim finished at ${new Date().toUTCString()}. Datasource DataSourceNone.  Up ${uptime()} seconds\n`);
    return;
  }
  const instanceDir = join(spec.guestRoot, 'var/lib/cloud/instances', spec.uuid);
  const sem = join(instanceDir, 'sem', 'config_scripts_user');
  if (existsSync(sem)) {
    // Same instance id as a boot before (a reboot): per-instance user scripts do not run again.
    consoleWrite(`${ci}: Cloud-init v. 23.4-illumos-sim finished at ${new Date().toUTCString()}. Datasource DataSourceNoCloud [seed=/dev/sr0].  Up ${uptime()} seconds\n`);
    return;
  }
  const userData = readFileSync(join(spec.seedDir, 'user-data'));
  const outputLog = join(spec.guestRoot, 'var/log/cloud-init-output.log');
  mkdirSync(dirname(outputLog), { recursive: true });
  const guestOut = (chunk: string | Buffer) => {
    consoleWrite(chunk);
    appendFileSync(outputLog, chunk);
  };
  let scripts: string[];
  try {
    scripts = prepareUserData(userData, spec.guestRoot, instanceDir, (line) => guestOut(`${ci}: ${line}\n`));
  } catch (err) {
    guestOut(`${ci}: 2026 - util.py[WARNING]: Failed loading user-data: ${(err as Error).message}\n`);
    return;
  }
  consoleWrite(`${ci}: Cloud-init v. 23.4-illumos-sim running 'modules:final' at ${new Date().toUTCString()}. Up ${uptime()} seconds.\n`);
  mkdirSync(dirname(sem), { recursive: true });
  writeFileSync(sem, `${Date.now()}\n`);
  for (const script of scripts) {
    const code = await runGuest(script, guestOut);
    if (code !== 0) guestOut(`${ci}: util.py[WARNING]: Failed running ${script} [${code}]\n${ci}: cc_scripts_user.py[WARNING]: Failed to run module scripts-user\n`);
  }
  consoleWrite(`${ci}: Cloud-init v. 23.4-illumos-sim finished at ${new Date().toUTCString()}. Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up ${uptime()} seconds\n`);
}

/**
 * The zone's ipf rules for the guest's Node processes (guestNet.ts, preloaded): its outbound TCP is
 * checked as the global zone's ipf checks a bhyve guest's packets. Nothing without loaded rules.
 */
function guestNetEnv(): Record<string, string> {
  if (!spec.ipfRules) return {};
  return { NODE_OPTIONS: `--import=${pathToFileURL(join(here, 'guestNet.js')).href}`, HELIOS_ILLUMOS_SIM_IPF: JSON.stringify(spec.ipfRules) };
}

function runGuest(script: string, out: (chunk: Buffer) => void): Promise<number> {
  chmodSync(script, 0o700);
  const home = join(spec.guestRoot, 'root');
  mkdirSync(home, { recursive: true });
  return new Promise((resolve) => {
    const child = spawn(script, [], {
      cwd: spec.guestRoot,
      // A fresh machine: nothing of the host's environment but a PATH (the guest's node, sh, ...).
      env: { PATH: process.env.HELIOS_ILLUMOS_SIM_GUEST_PATH || process.env.PATH || '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', HELIOS_GUEST_ROOT: spec.guestRoot, ...guestNetEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', out);
    child.stderr.on('data', out);
    child.on('error', (err) => {
      out(Buffer.from(`${script}: ${err.message}\n`));
      resolve(126);
    });
    child.on('close', (code) => resolve(code ?? 128));
  });
}

function powerOff(code: number): never {
  try {
    // Everything the guest started dies with the VM (the whole process group).
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    /* not a group leader */
  }
  process.exit(code);
}

main().catch((err) => {
  bhyveLog(`bhyve: fatal: ${(err as Error).stack ?? String(err)}`);
  process.exit(4);
});
