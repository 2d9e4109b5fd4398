/**
 * A job's egress as core decided it, in the shapes that cross process boundaries: control mints the
 * grant, a `helios worker` enforces it with its own proxy and reports the job's connections back.
 */

/** helios.yaml's policy value for one job (egress.default / repositories / labels). */
export type EgressPolicyValue = 'none' | 'any' | { allow?: string[]; allowPrivate?: string[] };

/** One job attempt's proxy grant, without its secret: enough for another host's proxy to check the job's credential and apply its policy. */
export interface EgressGrantSpec {
  jobId: string;
  /** Proxy-Authorization user name (`job-<id>`). */
  user: string;
  /** Hex sha256 of the credential's secret; the secret itself reaches only the job's agent. */
  secretSha256: string;
  policy: EgressPolicyValue;
  /** The config key the policy came from (or why: untrusted run), quoted in refusals. */
  source: string;
  /** owner/name of the job's repository, quoted in refusals. */
  repo: string;
  /** host:port pairs the job reaches whatever the policy (its clone origin). */
  implicit: { host: string; port: number }[];
}

/** One connection (or forwarded request) through a proxy, allowed or refused, when it ended. */
export interface EgressConnectionReport {
  jobId: string;
  /** CONNECT, or the HTTP method of a forwarded request. */
  method: string;
  /** host:port asked for. */
  target: string;
  allowed: boolean;
  /** Refused (or failed upstream): why, naming the rule and the key that would allow it. */
  reason?: string;
  /** Bytes both ways (0 when refused). */
  bytes: number;
  ms: number;
}

/** MachineSpec.egress: where the job's proxy is, and what a worker needs to run the job behind its own. */
export interface MachineEgress {
  /** host:port of the egress proxy as reachable from the host. */
  proxy: string;
  /** The job's grant, for a host that runs its own proxy (queue-nats carries it to the worker). */
  grant?: EgressGrantSpec;
  /** Control's side: where another host's proxy reports this job's connections (never serialized). */
  report?: (connection: EgressConnectionReport) => void;
}

/** `helios worker`'s own egress proxy, given to the queue plugin's worker loop. */
export interface WorkerEgress {
  /** host:port this worker's machines reach the proxy at. */
  readonly endpoint: string;
  /** Lets the job's credential through this proxy under the grant's policy until the returned revoke is called. */
  admit(grant: EgressGrantSpec, report: (connection: EgressConnectionReport) => void): () => void;
}
