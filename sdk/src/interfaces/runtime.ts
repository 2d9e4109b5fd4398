import type { MachineEgress } from './egress.js';
import type { Volume } from './storage.js';

/** CPUs and memory of one machine. */
export interface MachineSize {
  cpus: number;
  memoryMb: number;
}

/** What the runtime needs to start one job's machine. */
export interface MachineSpec {
  jobId: string;
  /** The runs-on label chosen for the job (an image name for VM runtimes). */
  label: string;
  cpus: number;
  memoryMb: number;
  volumes: Volume[];
  /** How the agent finds the orchestrator: `host:port` of the agent gRPC service and a one-job token. */
  agent: { endpoint: string; token: string };
  /**
   * Optional: the job's egress proxy, `host:port` as reachable from the host (for VMs the advertised
   * endpoint, server.egressEndpoint, like `agent.endpoint`). Core sets it whenever a proxy runs for
   * the job. The runtime hands it to the agent (runtime-local: `egressProxy` in the bootstrap file;
   * VMs: user-data) and lets the machine reach it; the agent points its steps' HTTP(S)_PROXY at it
   * with the per-job credential it receives over the agent protocol (never the job token).
   * `grant` and `report` serve remote runtimes (queue-nats): the worker's own proxy enforces the
   * grant and its reports reach `report`; other runtimes use only `proxy`.
   */
  egress?: MachineEgress;
  /**
   * Optional: the server's actions runtime services (cache and artifact APIs that @actions/cache and
   * @actions/artifact call), `host:port` as reachable from the host (the origin of the job's
   * ACTIONS_RESULTS_URL). Core sets it whenever the services run. A runtime that confines the
   * machine's network lets the machine reach it (runtime-local: a relay into the sandbox and
   * `actionsEndpoint` in the bootstrap file, which the agent then uses in the URLs; VMs: a firewall rule).
   */
  actionsRuntime?: { endpoint: string };
  /**
   * Optional: the runtime calls it when a boot milestone passes, so the orchestrator can time the
   * job's start (t1 `booted`: the VM/zone is booted; t2 `console`: the first console byte arrived).
   * Runtimes without such milestones never call it; a throw from it is ignored.
   */
  onMilestone?: (milestone: MachineMilestone) => void;
  /**
   * Optional: resolves when the job's agent said its first Hello (t3); never rejects. A runtime that
   * bounds how long a machine may take to start (runtime-bhyve's bootTimeoutSeconds) races it.
   */
  agentConnected?: Promise<void>;
  /**
   * Optional: the runtime calls it when the machine fails after `provision` returned (no agent Hello
   * within its boot timeout, the VM died). The orchestrator writes the error into the job log, ends
   * the job `errored` with the error's code and first line, and destroys the machine. Calls after
   * the job ended are ignored.
   */
  onFailed?: (error: Error) => void;
  /**
   * Optional: a remote runtime (queue-nats) calls it when the host making or running the machine
   * stopped answering before the job's agent connected. The orchestrator counts the job's agent as
   * lost with its host: the attempt's agent token stops working at once (a late agent is refused) and
   * the job is started again per `RemoteDispatcher.retryLostHost`, else ends `errored` with `reason`.
   * Calls after the job ended are ignored.
   */
  onHostLost?: (reason: string) => void;
  /**
   * The host directory a `file://` clone URL names (local and API runs), so a runtime that hides the
   * host's files from its machines can still let the agent clone it (read-only). Absent for forge runs.
   */
  sourceDir?: string;
  /**
   * Whether the job's run is trusted: false for an untrusted run (an approved fork pull request,
   * the runs that get no secrets and no job token). A runtime must not let an untrusted job write
   * anything a trusted job later runs or reads (runtime-local: the shared tool cache). Core always
   * sets it; absent counts as untrusted, so a caller that does not know never opens a shared cache.
   */
  trusted?: boolean;
  /**
   * Optional: start the machine from the prepared snapshot of this name (`Runtime.prepared`) instead
   * of the label's image. Set only after `prepared.has(label, name)` said it exists.
   */
  prepared?: string;
}

/** Boot milestones a runtime may report through `MachineSpec.onMilestone`. */
export type MachineMilestone = 'booted' | 'console';

export interface MachineRef {
  id: string;
  /** The job the machine was made for, when the runtime can tell. */
  jobId: string | null;
}

export interface Machine extends MachineRef {
  label: string;
}

/** Turns a job into a running agent: bhyve zones, local processes, ... */
export interface Runtime {
  /** Instance name, for logs and metrics. */
  readonly id: string;
  /** The runs-on labels this runtime serves. */
  readonly labels: readonly string[];
  /**
   * The machine size for a job on `label` (one of `labels`), from the runtime's own configuration
   * (typically a size per label with a default). The orchestrator passes it to `provision` as
   * `cpus`/`memoryMb`; it never picks a size itself.
   */
  machineSize(label: string): MachineSize;
  /**
   * The label's warm paths (e.g. `~/.cargo/registry`, `target`), from the runtime's configuration; empty
   * or absent when it has none. When there are some, the orchestrator passes a `warm` volume in
   * `MachineSpec.volumes` whose subdirectory `0`, `1`, ... holds the path of the same index, and
   * `JobSpec.warmPaths`; the runtime makes the volume reachable in the machine and tells the agent
   * where (runtime-local: `--warm-dir <location>`; a VM: a second disk), and the agent makes each path
   * resolve to its subdirectory after the checkout. Syntax and limits: `warmPathListProblem`.
   */
  warmPaths?(label: string): readonly string[];
  provision(spec: MachineSpec): Promise<Machine>;
  /** Idempotent; must succeed on a half-built machine and on one already gone. */
  destroy(machine: MachineRef): Promise<void>;
  /** Machines that exist now (also ones from before a crash), for reconciliation. */
  list(): Promise<MachineRef[]>;
  /** Boot output, streamed into the job log when available. */
  console?(machine: MachineRef): AsyncIterable<string>;
  /**
   * Optional: prepared snapshots of a label's machines (vmactions `cache-after-prepare`). A runtime
   * without it runs `prepare` in every job.
   */
  prepared?: PreparedSnapshots;
}

/** Snapshots of a machine's root disk taken while it runs, to start later machines of the label from. */
export interface PreparedSnapshots {
  /** Whether the prepared snapshot `name` of `label` exists (then `MachineSpec.prepared` may name it). */
  has(label: string, name: string): Promise<boolean>;
  /**
   * Snapshots the root disk of job `jobId`'s running machine now as `name` of its label (by job, since
   * the job's steps may end before `provision` has returned); the snapshot becomes usable once the
   * machine is destroyed. Keeping a name that exists is a no-op.
   */
  keep(jobId: string, name: string): Promise<void>;
}
