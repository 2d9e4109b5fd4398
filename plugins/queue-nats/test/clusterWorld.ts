/**
 * Control (`helios serve` with queue-nats and a recording forge), workers (`helios worker`, each with
 * runtime-local) and a real nats-server, all as processes on loopback. The test watches the machine
 * events workers send control on NATS, and reads control's store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { readStoredJobLog } from '@helios-ci/core';
import { heliosCliPath, startHeliosServe, TestGitRepo, waitFor, type HeliosServe } from '@helios-ci/sdk/testkit';
import { startNatsServer, type NatsServer } from './natsServer.js';
import { writeGatedAgent } from './gatedAgent.js';
import { writeStuckRuntime } from './stuckRuntime.js';
import type { MachineEvent } from '../src/protocol.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'];

export interface WorkerSpec {
  id: string;
  capacity: number;
  labels: string[];
  /** Top-level YAML appended to worker.yaml (e.g. an egress: section). */
  yaml?: string;
  /**
   * Its machines start a gated agent (gatedAgent.ts): the machine is up, the real agent waits until
   * the test opens the gate — a host caught between "machine started" and "agent connected".
   */
  gatedAgent?: boolean;
  /** Its runtime is stuck-runtime (stuckRuntime.ts): provisioning starts and never ends. */
  stuckProvisioning?: boolean;
}

export interface ControlSpec {
  labels: string[];
  clusterJobCap: number;
  concurrentJobs: number;
  ackWaitSeconds?: number;
  retryLostHost?: number;
  /** limits.agentLostSeconds (default 3). */
  agentLostSeconds?: number;
  /** Top-level YAML appended to control's helios.yaml (e.g. an egress: section). */
  yaml?: string;
}

export class WorkerProcess {
  child: ChildProcess | null = null;
  out = '';
  constructor(
    readonly spec: WorkerSpec,
    readonly dir: string,
  ) {}

  get machinesDir(): string {
    return join(this.dir, 'machines');
  }

  /** A gated agent of this worker started: its machine is up and its agent has not connected. */
  gateReached(): boolean {
    return existsSync(join(this.dir, 'gate', 'started'));
  }

  /** This worker started provisioning a job's machine (stuck-runtime). */
  provisioningStarted(): boolean {
    return existsSync(join(this.dir, 'gate', 'provisioning'));
  }

  /** Lets this worker's gated agents run the real agent. */
  openGate(): void {
    writeFileSync(join(this.dir, 'gate', 'open'), '');
  }

  /** The output of each of this worker's machines' agents (runtime-local's agent.log). */
  agentLogs(): string[] {
    return this.machines().map((m) => {
      try {
        return readFileSync(join(this.machinesDir, m.id, 'agent.log'), 'utf8');
      } catch {
        return '';
      }
    });
  }

  machines(): { id: string; pid: number | null; jobId: string }[] {
    if (!existsSync(this.machinesDir)) return [];
    return readdirSync(this.machinesDir)
      .filter((n) => n.startsWith('hl-'))
      .map((n) => {
        try {
          return JSON.parse(readFileSync(join(this.machinesDir, n, 'machine.json'), 'utf8')) as { id: string; pid: number | null; jobId: string };
        } catch {
          return { id: n, pid: null, jobId: '' };
        }
      });
  }

  async start(): Promise<void> {
    this.out = '';
    const child = spawn(process.execPath, [heliosCliPath(), 'worker', '--config', 'worker.yaml'], { cwd: this.dir, env: { PATH: process.env.PATH, HOME: this.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (c) => (this.out += c));
    child.stderr!.on('data', (c) => (this.out += c));
    const deadline = Date.now() + 60_000;
    while (!/pulling jobs for/.test(this.out)) {
      if (child.exitCode !== null) throw new Error(`worker ${this.spec.id} exited:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`worker ${this.spec.id} did not start:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9 of the worker and of its machines' agents: the whole host is gone. */
  async killHost(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    process.kill(c.pid!, 'SIGKILL');
    for (const m of this.machines()) {
      if (m.pid) {
        try {
          process.kill(-m.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

export class ClusterWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-cluster-'));
  readonly repo = new TestGitRepo();
  readonly prefix = `t${randomUUID().slice(0, 8)}`;
  readonly stream = `S_${this.prefix}`;
  nats!: NatsServer;
  /** Control's agent service port, fixed so agents on workers find a restarted control again. */
  agentPort = 0;
  serve: HeliosServe | null = null;
  workers: WorkerProcess[] = [];
  watcher: NatsConnection | null = null;
  readonly events: (MachineEvent & { at: number })[] = [];

  static async create(control: ControlSpec, workers: WorkerSpec[]): Promise<ClusterWorld> {
    const w = new ClusterWorld();
    w.nats = await startNatsServer();
    w.agentPort = await freePort();
    w.shared = { clusterJobCap: control.clusterJobCap, ackWaitSeconds: control.ackWaitSeconds ?? 30 };
    w.writeControl(control);
    for (const spec of workers) w.workers.push(w.writeWorker(spec));
    await w.watch();
    return w;
  }

  /** The queue settings every host shares (the consumers' limits are applied by whichever host starts last). */
  private shared: Record<string, unknown> = {};

  private queueConfig(extra: Record<string, unknown>): string {
    return JSON.stringify({ servers: [this.nats.url], stream: this.stream, subjectPrefix: this.prefix, statusIntervalSeconds: 1, claimTimeoutSeconds: 2, ...this.shared, ...extra });
  }

  private writeControl(c: ControlSpec): void {
    const dir = join(this.dir, 'control');
    mkdirSync(join(dir, 'node_modules/@helios-ci'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'core/test/fixtures/plugins/recordingForge.mjs'), join(dir, 'recordingForge.mjs'));
    // The forge stand-in is a third-party plugin: it finds the sdk in its own node_modules.
    symlinkSync(join(REPO_ROOT, 'sdk'), join(dir, 'node_modules/@helios-ci/sdk'), 'dir');
    writeFileSync(
      join(dir, 'helios.yaml'),
      `server:
  dataDir: ./data
  publicUrl: http://ci.test
  agentListen: 127.0.0.1:${this.agentPort}
plugins:
  secrets: { use: "@helios-ci/secrets-file" }
  fake:
    use: ./recordingForge.mjs
    config: { repoDir: ${JSON.stringify(this.repo.dir)} }
  queue:
    use: "@helios-ci/queue-nats"
    config: ${this.queueConfig({ labels: c.labels, retryLostHost: c.retryLostHost ?? 1 })}
  local: { use: "@helios-ci/runtime-local", config: { labels: [control-local] } }
limits: { concurrentJobs: ${c.concurrentJobs}, agentLostSeconds: ${c.agentLostSeconds ?? 3}, shutdownGraceSeconds: 1, forgeCallTimeoutSeconds: 2, checkUpdateIntervalSeconds: 0.5 }
${c.yaml ?? ''}`,
    );
  }

  private writeWorker(s: WorkerSpec): WorkerProcess {
    const dir = join(this.dir, s.id);
    mkdirSync(dir, { recursive: true });
    // The gate lives outside a sandbox's view: these machines run unsandboxed.
    const gated = s.gatedAgent ? `, agentPath: ${JSON.stringify(writeGatedAgent(dir))}, sandbox: off` : '';
    let runtime = `local: { use: "@helios-ci/runtime-local", config: { labels: ${JSON.stringify(s.labels)}, killGraceMs: 500, workRoot: ./machines${gated} } }`;
    if (s.stuckProvisioning) {
      // A third-party plugin finds the sdk in its own node_modules.
      mkdirSync(join(dir, 'node_modules/@helios-ci'), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'sdk'), join(dir, 'node_modules/@helios-ci/sdk'), 'dir');
      runtime = `stuck: { use: ${JSON.stringify(writeStuckRuntime(dir))}, config: { labels: ${JSON.stringify(s.labels)} } }`;
    }
    writeFileSync(
      join(dir, 'worker.yaml'),
      `server:
  dataDir: ./data
worker: { id: ${s.id}, capacity: ${s.capacity} }
plugins:
  queue:
    use: "@helios-ci/queue-nats"
    config: ${this.queueConfig({})}
  ${runtime}
  storage: { use: "@helios-ci/storage-dir" }
  secrets: { use: "@helios-ci/secrets-file" }
${s.yaml ?? ''}`,
    );
    return new WorkerProcess(s, dir);
  }

  private async watch(): Promise<void> {
    this.watcher = await connect({ servers: [this.nats.url], maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    this.watcher.subscribe(`${this.prefix}.ctl.events`, {
      callback: (err, msg) => {
        if (!err) this.events.push({ ...(JSON.parse(new TextDecoder().decode(msg.data)) as MachineEvent), at: Date.now() });
      },
    });
    await this.watcher.flush();
  }

  worker(id: string): WorkerProcess {
    return this.workers.find((w) => w.spec.id === id)!;
  }

  startControl(): HeliosServe {
    this.serve = startHeliosServe(join(this.dir, 'control'), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    return this.serve;
  }

  async push(sha: string): Promise<Response> {
    const body = JSON.stringify({ repo: { owner: 'acme', name: 'widget' }, ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, sender: 'alice' });
    const signature = 'sha256=' + createHmac('sha256', 'fake-secret').update(body).digest('hex');
    return fetch(`${await this.serve!.url}/hooks/fake`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-fake-event': 'push', 'x-fake-delivery': randomUUID(), 'x-fake-signature': signature } });
  }

  private db<T>(fn: (db: Database.Database) => T, empty: T): T {
    const path = join(this.dir, 'control/data/helios.db');
    if (!existsSync(path)) return empty;
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  jobs(): { id: string; name: string; state: string; reason: string | null }[] {
    return this.db((db) => db.prepare('SELECT id, name, state, reason FROM jobs ORDER BY created_at, rowid').all() as { id: string; name: string; state: string; reason: string | null }[], []);
  }

  /** The checks the forge stand-in holds (persisted across control restarts). */
  checks(): { jobId: string; status: string; result: { conclusion: string } | null }[] {
    const find = (dir: string): string | null => {
      if (!existsSync(dir)) return null;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isFile() && e.name === 'checks.json') return p;
        if (e.isDirectory()) {
          const f = find(p);
          if (f) return f;
        }
      }
      return null;
    };
    const file = find(join(this.dir, 'control/data'));
    return file ? (JSON.parse(readFileSync(file, 'utf8')) as { checks: { jobId: string; status: string; result: { conclusion: string } | null }[] }).checks : [];
  }

  logText(jobId: string): string {
    return this.db((db) => readStoredJobLog(db, jobId).map((l) => l.text).join('\n'), '');
  }

  /** The most machines up at once (provisioned, not yet destroyed), per worker and in all. */
  peaks(workers?: string[]): { perWorker: Record<string, number>; total: number } {
    const live = new Map<string, number>();
    const perWorker: Record<string, number> = {};
    let total = 0;
    let totalPeak = 0;
    for (const e of this.events) {
      if (e.type !== 'provisioned' && e.type !== 'destroyed') continue;
      if (workers && !workers.includes(e.worker)) continue;
      const d = e.type === 'provisioned' ? 1 : -1;
      const n = (live.get(e.worker) ?? 0) + d;
      live.set(e.worker, n);
      total += d;
      perWorker[e.worker] = Math.max(perWorker[e.worker] ?? 0, n);
      totalPeak = Math.max(totalPeak, total);
    }
    return { perWorker, total: totalPeak };
  }

  provisioned(jobId?: string): (MachineEvent & { at: number })[] {
    return this.events.filter((e) => e.type === 'provisioned' && (jobId === undefined || e.jobId === jobId));
  }

  /** Job states and the processes' last output, for a failure message. */
  describe(): string {
    const states: Record<string, number> = {};
    for (const j of this.jobs()) states[j.state] = (states[j.state] ?? 0) + 1;
    const tail = (s: string) => s.split('\n').slice(-15).join('\n');
    return [`jobs: ${JSON.stringify(states)}`, `events: ${this.events.length}`, `control:\n${tail(this.serve?.output() ?? '')}`, ...this.workers.map((w) => `${w.spec.id}:\n${tail(w.out)}`)].join('\n');
  }

  async waitJobs(what: string, n: number, timeoutMs: number): Promise<{ id: string; name: string; state: string; reason: string | null }[]> {
    try {
      return await waitFor(what, () => {
        const js = this.jobs();
        return js.length === n && js.every((j) => FINAL.includes(j.state)) && js;
      }, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.describe()}`);
    }
  }

  async cleanup(): Promise<void> {
    await this.serve?.stop();
    for (const w of this.workers) await w.stop();
    await this.watcher?.close();
    await this.nats?.cleanup();
    this.repo.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A port free right now on loopback (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
