/**
 * The local runtime: each job's agent is a child process of the server in a fresh temporary
 * workspace. With a sandbox (bubblewrap, see sandbox/bwrap.ts) the agent and its steps run in their
 * own mount, PID and network namespaces; without one it isolates NOTHING — steps run as the server's
 * user with its network and files — and is for development, tests and trusted hosts only.
 *
 * Layout under workRoot, one directory per machine (what `list` reads after a crash):
 *   <workRoot>/hl-<id>/machine.json   marker: id, jobId, label, pid, pid start time
 *   <workRoot>/hl-<id>/bootstrap.json endpoint + token, egressProxy when core runs one (mode 600; never on a command line)
 *   <workRoot>/hl-<id>/pgids          process groups the agent's steps run in (written by the agent)
 *   <workRoot>/hl-<id>/agent.log      the agent's own stdout/stderr (console())
 *   <workRoot>/hl-<id>/home           HOME of the agent and its steps; the job workspace is below
 *   <workRoot>/hl-<id>/tmp, net/      sandbox only: its /tmp, and the UNIX sockets of its ways out
 *                                     (in <tmpdir>/helios-<id>/ when net/ is too deep for a socket path)
 *   <workRoot>/_tool                  RUNNER_TOOL_CACHE shared by the trusted jobs of this runtime (toolCache);
 *                                     an untrusted job (MachineSpec.trusted not true) gets its own, see toolCacheOf
 * Every process of a machine carries HELIOS_TRACKING_ID=<id> in its environment (see destroy).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AGENT_NODE_FLAGS, HeliosError, warmPathListProblem, type Machine, type MachineRef, type MachineSize, type MachineSpec, type Runtime } from '@helios-ci/sdk';
import { groupAlive, signalGroup } from '@helios-ci/sdk/process-liveness';
import { killTracked, TRACKING_ENV } from '@helios-ci/sdk/process-tracking';
import { raiseAutogroupNice } from '@helios-ci/sdk/autogroup';
import { spawnTurn } from './spawnTurns.js';
import { bwrapArgv, INSIDE_AGENT_PORT, INSIDE_PROXY_PORT, INSIDE_ACTIONS_PORT, nodePrefix, relaySockets } from './sandbox/bwrap.js';
import { HostRelay } from './sandbox/hostRelay.js';
import { findExecutable } from './sandbox/bwrapProbe.js';

/** The module preloaded into the agent inside a sandbox (its loopback relay), next to this file in dist/. */
/** The relay's configuration variable (as in sandboxRelay.ts, not imported from it: importing it runs it). */
export const FORWARDS_ENV = 'HELIOS_SANDBOX_FORWARDS';
export const SANDBOX_RELAY = fileURLToPath(new URL('./sandboxRelay.js', import.meta.url));

export interface SandboxOptions {
  /** The bwrap executable (found and probed at start, see sandboxMode.ts). */
  bwrap: string;
  /** Paths no job may see, read at each provision (PluginContext.protectedPaths). */
  protectedPaths: () => readonly string[];
}

export const DEFAULT_LABELS = ['local', 'self-hosted', 'linux', 'ubuntu-latest', 'ubuntu-24.04', 'ubuntu-22.04'] as const;
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface LocalRuntimeOptions {
  id: string;
  labels: readonly string[];
  workRoot: string;
  /** The bundled agent (dist/helios-agent.mjs). */
  agentPath: string;
  /** Node executable that runs the agent (default: the server's own). */
  nodePath?: string;
  /** PATH given to the agent and its steps. */
  path: string;
  /** Grace between SIGTERM and SIGKILL on destroy, and for the agent's step kills. */
  killGraceMs: number;
  /**
   * The size stated for each label (`machineSize`); labels not listed get `default`, or
   * DEFAULT_MACHINE_SIZE. A local machine is a process: the size is reported, not enforced.
   */
  machineSizes?: { default?: MachineSize; labels?: Readonly<Record<string, MachineSize>> };
  /**
   * Warm paths per label (`~/…` under the job's HOME, relative = the workspace), kept between jobs
   * through Storage warm volumes. The agent links each one to the volume the orchestrator passes.
   */
  warmPaths?: Readonly<Record<string, readonly string[]>>;
  /**
   * Share `<workRoot>/_tool` as every trusted job's RUNNER_TOOL_CACHE (setup-* actions reuse what an
   * earlier job downloaded; writable inside the sandbox). Untrusted jobs always get the agent's
   * per-job default (toolCacheOf). Default true; false: the per-job default for every job.
   */
  toolCache?: boolean;
  /** The agent's (and so every step's) niceness, 0-19; absent or 0: the server's. */
  jobNice?: number;
  /**
   * Run each machine in a bubblewrap sandbox; null/absent: no isolation. A promise: the decision is
   * still being probed (the plugin's `auto`); provision waits for it.
   */
  sandbox?: SandboxOptions | null | Promise<SandboxOptions | null>;
}

/** What a label without a configured size gets (the size Helios always assumed before sizes were configurable). */
export const DEFAULT_MACHINE_SIZE: MachineSize = { cpus: 2, memoryMb: 4096 };

interface Marker {
  id: string;
  jobId: string;
  label: string;
  pid: number | null;
  /** /proc start time of pid, so a reused pid is never killed by mistake. */
  pidStart: string | null;
  createdAt: string;
  /** pid is bwrap's: the agent's process groups are namespace pids, never signalled from the host. */
  sandbox?: boolean;
}

const MACHINE_DIR = /^hl-[0-9a-f]{16}$/;
/** The shared tool cache under workRoot (not a machine directory: list() never reports it). */
export const TOOL_CACHE_DIR = '_tool';
const JOB_ID = /^[A-Za-z0-9._:#()\- ,=/@+]{1,300}$/;

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


/**
 * The shared RUNNER_TOOL_CACHE a job gets, or null for the agent's per-job `<workdir>/_tool`.
 * Only trusted jobs share `<workRoot>/_tool`: a fork pull request that could write there would plant
 * a tampered `node` or `go` that the next job on main runs with its secrets. Untrusted jobs get a
 * fresh cache each, not one shared among them: one fork's run must not tamper with another
 * contributor's run either (as core's cache scopes keep each pull request's entries apart).
 */
export function toolCacheOf(opts: Pick<LocalRuntimeOptions, 'toolCache' | 'workRoot'>, spec: Pick<MachineSpec, 'trusted'>): string | null {
  if (opts.toolCache === false || spec.trusted !== true) return null;
  return join(opts.workRoot, TOOL_CACHE_DIR);
}

/** The agent's work directory under HOME: the job workspace is below it. */
export const WORK_DIR = 'work';

/** `~/work` is the agent's work directory (the workspace is below it): a warm path may not be it or in it. */
function workDirProblem(paths: readonly string[]): string | null {
  const clash = paths.find((p) => p === `~/${WORK_DIR}` || p.startsWith(`~/${WORK_DIR}/`));
  return clash ? `warm path ${JSON.stringify(clash)} is inside the agent's work directory ~/${WORK_DIR}; write a path relative to the workspace instead` : null;
}

/** Refuses (E_CONFIG_INVALID) a `warmPaths` config naming labels not served or paths the agent would refuse. */
export function checkWarmPathsConfig(id: string, labels: readonly string[], warmPaths: Readonly<Record<string, readonly string[]>>): void {
  for (const [label, paths] of Object.entries(warmPaths)) {
    if (!labels.includes(label)) {
      throw new HeliosError('E_CONFIG_INVALID', `runtime-local ${id}: warmPaths names label ${JSON.stringify(label)}, which this runtime does not serve (config: labels = ${labels.join(', ')})`);
    }
    const problem = warmPathListProblem(paths) ?? workDirProblem(paths);
    if (problem) throw new HeliosError('E_CONFIG_INVALID', `runtime-local ${id}: config warmPaths.${label}: ${problem}`);
  }
}

/** The host directory of the job's warm volume, if the orchestrator passed one. */
function warmVolumeOf(spec: MachineSpec): string | null {
  const warm = spec.volumes.filter((v) => v.kind === 'warm');
  if (warm.length > 1) throw new HeliosError('E_PROVISION_FAILED', `runtime-local: the machine spec has ${warm.length} warm volumes; a job has at most one`);
  const location = warm[0]?.location;
  if (location === undefined) return null;
  // A host directory: it goes to the agent as one argv element, but still nothing odd.
  if (!isAbsolute(location) || /[\0\r\n]/.test(location) || location.split('/').includes('..')) {
    throw new HeliosError('E_PROVISION_FAILED', `runtime-local: warm volume location ${JSON.stringify(location)} is not an absolute host directory`);
  }
  if (!existsSync(location)) throw new HeliosError('E_PROVISION_FAILED', `runtime-local: warm volume directory ${location} does not exist`);
  return location;
}

/** MachineSpec.sourceDir (a `file://` clone's directory), made readable inside a sandbox. */
function sourceDirOf(spec: MachineSpec): string | null {
  const dir = spec.sourceDir;
  if (dir === undefined) return null;
  if (!isAbsolute(dir) || /[\0\r\n]/.test(dir) || dir.split('/').includes('..')) {
    throw new HeliosError('E_PROVISION_FAILED', `runtime-local: source directory ${JSON.stringify(dir)} is not an absolute host directory`);
  }
  return existsSync(dir) ? dir : null;
}

/** The sandbox's socket directory when the machine directory is too deep for a UNIX socket path. */
function shortNetDir(id: string): string {
  return join(tmpdir(), `helios-${id}`);
}

/** `<dir>/net`, unless its sockets' paths would pass the 107-byte limit: then one in the temp dir. */
function netDirOf(dir: string, id: string): string {
  const inDir = join(dir, 'net');
  return Buffer.byteLength(join(inDir, 'agent.sock')) <= 107 ? inDir : shortNetDir(id);
}

/**
 * Sandboxed machines' ways out (agent endpoint, egress proxy) by machine directory, closed by
 * destroy. Per process, not per instance: any instance of this process that destroys the machine
 * closes them.
 */
const relaysByDir = new Map<string, HostRelay[]>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `p` settles or after `ms`, whichever is first (the timer does not outlive it). */
async function waitUntil(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export class LocalRuntime implements Runtime {
  readonly id: string;
  readonly labels: readonly string[];

  /** Agents this process started, until they exit: destroy waits for the exit instead of polling /proc. */
  private readonly agentExits = new Map<string, Promise<void>>();

  constructor(private readonly opts: LocalRuntimeOptions) {
    this.id = opts.id;
    this.labels = opts.labels;
    checkWarmPathsConfig(opts.id, opts.labels, opts.warmPaths ?? {});
  }


  warmPaths(label: string): readonly string[] {
    return [...(this.opts.warmPaths?.[label] ?? [])];
  }

  machineSize(label: string): MachineSize {
    if (!this.labels.includes(label)) {
      throw new HeliosError('E_LABEL_NOT_FOUND', `runtime-local ${this.id} does not serve label ${JSON.stringify(label)}; it serves ${this.labels.join(', ')} (config: labels)`);
    }
    const sizes = this.opts.machineSizes;
    return { ...(sizes?.labels?.[label] ?? sizes?.default ?? DEFAULT_MACHINE_SIZE) };
  }

  private nicePath: string | null | undefined;
  /** nice(1) on the runtime's PATH, looked up once (null: none). */
  private nice(): string | null {
    if (this.nicePath === undefined) this.nicePath = findExecutable('nice', this.opts.path);
    return this.nicePath;
  }

  private dirOf(id: string): string {
    if (!MACHINE_DIR.test(id)) throw new HeliosError('E_MACHINE_ID_INVALID', `runtime-local: ${JSON.stringify(id)} is not a machine id of this runtime (hl- and 16 hex digits)`);
    return join(this.opts.workRoot, id);
  }

  /** Creates the machine directory and marker without starting anything (a half-provisioned machine). */
  prepare(spec: MachineSpec): { machine: Machine; dir: string } {
    if (!JOB_ID.test(spec.jobId)) throw new HeliosError('E_JOB_ID_INVALID', `runtime-local: job id ${JSON.stringify(spec.jobId)} has characters this runtime refuses`);
    if (!this.labels.includes(spec.label)) {
      throw new HeliosError('E_LABEL_NOT_FOUND', `runtime-local ${this.id} does not serve label ${JSON.stringify(spec.label)}; it serves ${this.labels.join(', ')} (config: labels)`);
    }
    const id = `hl-${randomBytes(8).toString('hex')}`;
    const dir = this.dirOf(id);
    mkdirSync(join(dir, 'home'), { recursive: true, mode: 0o700 });
    const marker: Marker = { id, jobId: spec.jobId, label: spec.label, pid: null, pidStart: null, createdAt: new Date().toISOString() };
    writeFileSync(join(dir, 'machine.json'), JSON.stringify(marker));
    return { machine: { id, jobId: spec.jobId, label: spec.label }, dir };
  }

  async provision(spec: MachineSpec): Promise<Machine> {
    if (!existsSync(this.opts.agentPath)) {
      throw new HeliosError('E_AGENT_NOT_FOUND', `runtime-local: the agent bundle ${this.opts.agentPath} does not exist; build it (npm run build) or set config.agentPath`);
    }
    const endTurn = await spawnTurn();
    try {
      mkdirSync(this.opts.workRoot, { recursive: true });
      return await this.start(spec, endTurn);
    } finally {
      endTurn();
    }
  }

  /** Prepares the machine and starts its agent; `endTurn` is called before a failed machine's destroy (which may wait out a grace period). */
  private async start(spec: MachineSpec, endTurn: () => void): Promise<Machine> {
    const { machine, dir } = this.prepare(spec);
    try {
      const bootstrap = join(dir, 'bootstrap.json');
      const sandbox = (await this.opts.sandbox) ?? null;
      const relays = sandbox ? await this.openRelays(machine.id, dir, spec) : null;
      // In a sandbox the agent reaches the server and the proxy only through the relay's loopback ports.
      const endpoint = relays ? `127.0.0.1:${INSIDE_AGENT_PORT}` : spec.agent.endpoint;
      const egressProxy = spec.egress ? (relays ? `127.0.0.1:${INSIDE_PROXY_PORT}` : spec.egress.proxy) : undefined;
      // The plan's ACTIONS_RESULTS_URL names the host's address, which the sandbox cannot reach: the
      // agent puts this relay port in its place.
      const actionsEndpoint = relays?.actions ? `127.0.0.1:${INSIDE_ACTIONS_PORT}` : undefined;
      writeFileSync(bootstrap, JSON.stringify({ endpoint, token: spec.agent.token, ...(egressProxy ? { egressProxy } : {}), ...(actionsEndpoint ? { actionsEndpoint } : {}) }), { mode: 0o600 });
      const home = join(dir, 'home');
      const log = openSync(join(dir, 'agent.log'), 'a');
      const node = this.opts.nodePath ?? process.execPath;
      const nodeArgv = [node, ...AGENT_NODE_FLAGS];
      const args = [this.opts.agentPath, '--bootstrap', bootstrap, '--workdir', join(home, WORK_DIR)];
      // Inside a PID namespace the agent's process groups are not host pids: destroy must not read them.
      if (!sandbox) args.push('--pgid-file', join(dir, 'pgids'));
      args.push('--tracking-id', machine.id, '--kill-grace-ms', String(this.opts.killGraceMs));
      if (this.opts.jobNice) args.push('--nice', String(this.opts.jobNice));
      const warm = warmVolumeOf(spec);
      if (warm) args.push('--warm-dir', warm);
      const toolCache = toolCacheOf(this.opts, spec);
      if (toolCache) {
        mkdirSync(toolCache, { recursive: true });
        args.push('--tool-cache', toolCache);
      }
      let argv: string[];
      let env: NodeJS.ProcessEnv;
      if (sandbox && relays) {
        // The relay runs preloaded in the agent's process (one Node start-up per job, not two).
        // HELIOS_TRACKING_ID is not set here: the PID namespace ends every process of the job;
        // steps still get it from the agent (--tracking-id), for its end-of-job scan.
        const sockets = relaySockets(netDirOf(dir, machine.id));
        const forwards = [`127.0.0.1:${INSIDE_AGENT_PORT}=${sockets.agent.inside}`];
        if (relays.proxy) forwards.push(`127.0.0.1:${INSIDE_PROXY_PORT}=${sockets.proxy.inside}`);
        if (relays.actions) forwards.push(`127.0.0.1:${INSIDE_ACTIONS_PORT}=${sockets.actions.inside}`);
        env = { PATH: this.opts.path, HOME: home, LANG: 'C.UTF-8', TMPDIR: '/tmp', [FORWARDS_ENV]: forwards.join(',') };
        const sourceDir = sourceDirOf(spec);
        argv = bwrapArgv(
          {
            bwrap: sandbox.bwrap,
            // An untrusted job does not even read the trusted jobs' cache (where workRoot is otherwise visible).
            protectedPaths: [...sandbox.protectedPaths(), ...(toolCache === null ? [join(this.opts.workRoot, TOOL_CACHE_DIR)] : [])],
            home,
            tmp: join(dir, 'tmp'),
            netDir: netDirOf(dir, machine.id),
            bootstrap,
            readOnly: [nodePrefix(node), this.opts.agentPath, SANDBOX_RELAY, ...(sourceDir ? [sourceDir] : [])],
            readWrite: [...(warm ? [warm] : []), ...(toolCache ? [toolCache] : [])],
          },
          [...nodeArgv, '--import', pathToFileURL(SANDBOX_RELAY).href, ...args],
        );
      } else {
        // A minimal environment: nothing of the server's (tokens, cloud credentials) reaches the job.
        // HELIOS_TRACKING_ID: every process of the job inherits it, so destroy finds daemons that left
        // their process group (setsid, double fork), also after a server crash.
        env = { PATH: this.opts.path, HOME: home, LANG: 'C.UTF-8', TMPDIR: join(dir, 'home'), [TRACKING_ENV]: machine.id };
        argv = [...nodeArgv, ...args];
      }
      // The agent would lower its own priority (--nice) only once Node runs, ~100 ms of CPU later, and
      // only for its main thread: fifty agents starting at the server's priority starved its event
      // loop for seconds. nice(1) lowers the whole process tree from its first instruction.
      const nice = this.opts.jobNice ? this.nice() : null;
      if (nice) argv = [nice, '-n', String(this.opts.jobNice), ...argv];
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: home,
        env,
        detached: true,
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      const pid = child.pid;
      if (!pid) {
        const err = await new Promise<Error>((resolve) => child.once('error', resolve));
        throw new HeliosError('E_PROVISION_FAILED', `runtime-local: cannot start the agent: ${err.message}`, { cause: err });
      }
      child.on('error', () => undefined);
      if (this.opts.jobNice) {
        // Without nice(1): at least the process itself at once (bwrap may have started its child already).
        if (!nice) lowerPriority(pid, this.opts.jobNice);
        // Detached = a session of its own: with autogroup scheduling its nice value alone would not count.
        raiseAutogroupNice(pid, this.opts.jobNice, () => child.exitCode === null && child.signalCode === null);
      }
      this.agentExits.set(machine.id, new Promise<void>((resolve) => child.once('exit', () => resolve())));
      // The agent lives on its own; the server must not wait for it (destroy/list find it by marker).
      child.unref();
      const marker: Marker = { id: machine.id, jobId: spec.jobId, label: spec.label, pid, pidStart: procStart(pid), createdAt: new Date().toISOString(), ...(sandbox ? { sandbox: true } : {}) };
      writeFileSync(join(dir, 'machine.json'), JSON.stringify(marker));
      return machine;
    } catch (err) {
      endTurn();
      await this.destroy(machine);
      throw err;
    }
  }

  /** The host ends of a sandbox's ways out: the agent endpoint and (when a proxy runs) the egress proxy. */
  private async openRelays(id: string, dir: string, spec: MachineSpec): Promise<{ proxy: boolean; actions: boolean }> {
    mkdirSync(join(dir, 'tmp'), { mode: 0o700 });
    mkdirSync(netDirOf(dir, id), { mode: 0o700 });
    const sockets = relaySockets(netDirOf(dir, id));
    const relays: HostRelay[] = [];
    relaysByDir.set(dir, relays);
    relays.push(await HostRelay.open(sockets.agent.host, spec.agent.endpoint));
    if (spec.egress) relays.push(await HostRelay.open(sockets.proxy.host, spec.egress.proxy));
    if (spec.actionsRuntime) relays.push(await HostRelay.open(sockets.actions.host, spec.actionsRuntime.endpoint));
    return { proxy: Boolean(spec.egress), actions: Boolean(spec.actionsRuntime) };
  }

  async destroy(ref: MachineRef): Promise<void> {
    const dir = this.dirOf(ref.id);
    let marker: Marker | null = null;
    try {
      marker = JSON.parse(readFileSync(join(dir, 'machine.json'), 'utf8')) as Marker;
    } catch {
      /* half-provisioned or already gone */
    }
    const groups: number[] = [];
    if (marker?.pid && alive(marker.pid) && (marker.pidStart === null || procStart(marker.pid) === marker.pidStart)) groups.push(marker.pid);
    const pgidsOf = (): number[] => {
      try {
        return readFileSync(join(dir, 'pgids'), 'utf8').split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 1);
      } catch {
        return [];
      }
    };
    if (groups.length > 0) {
      // SIGTERM first: the agent cancels its step and reports; SIGKILL whatever remains.
      signalGroup(groups[0]!, 'SIGTERM');
      const deadline = Date.now() + this.opts.killGraceMs;
      // Our own agent: its exit event says when it is gone (each groupAlive poll reads all of /proc).
      const exited = this.agentExits.get(ref.id);
      if (exited) await waitUntil(exited, this.opts.killGraceMs);
      while (Date.now() < deadline && groupAlive(groups[0]!)) await sleep(25);
      signalGroup(groups[0]!, 'SIGKILL');
    }
    // Step process groups (the agent starts each step in its own group), also after an agent SIGKILL.
    // A sandbox has none here (its PID namespace ends with bwrap, taking every process with it).
    if (!marker?.sandbox) for (const g of pgidsOf()) if (groupAlive(g)) signalGroup(g, 'SIGKILL');
    // Whatever left its group but carries this machine's marker (setsid, daemons). Only this machine's
    // exact marker matches: never the server, never another machine. Not for a sandbox: nothing of it
    // outlives its PID namespace (bwrap's --die-with-parent ends the namespace's init with bwrap, and
    // the kernel then kills every process in it), and the scan reads every /proc/<pid>/environ twice.
    if (!marker?.sandbox) await killTracked(ref.id, { graceMs: this.opts.killGraceMs });
    this.agentExits.delete(ref.id);
    for (const relay of relaysByDir.get(dir) ?? []) await relay.close();
    relaysByDir.delete(dir);
    // Asynchronous: a job's work tree can be large, and the event loop has other jobs to serve.
    await rm(dir, { recursive: true, force: true });
    await rm(shortNetDir(ref.id), { recursive: true, force: true });
  }

  async list(): Promise<MachineRef[]> {
    let entries: string[];
    try {
      entries = readdirSync(this.opts.workRoot);
    } catch {
      return [];
    }
    const out: MachineRef[] = [];
    for (const name of entries) {
      if (!MACHINE_DIR.test(name)) continue;
      let jobId: string | null = null;
      try {
        jobId = (JSON.parse(readFileSync(join(this.opts.workRoot, name, 'machine.json'), 'utf8')) as Marker).jobId;
      } catch {
        /* a machine dir without marker is still a leftover */
      }
      out.push({ id: name, jobId });
    }
    return out;
  }

  async *console(ref: MachineRef): AsyncIterable<string> {
    const file = join(this.dirOf(ref.id), 'agent.log');
    if (!existsSync(file)) return;
    const text = await readFile(file, 'utf8');
    for (const line of text.split('\n')) if (line) yield line;
  }
}

/** setpriority(2) on a process we just started; it may already be gone (then there is nothing to lower). */
function lowerPriority(pid: number, nice: number): void {
  try {
    setPriority(pid, nice);
  } catch {
    // ESRCH: exited already; the exit is handled where the agent's end is awaited.
  }
}
