/**
 * helios-agent: connects to the orchestrator's agent service, runs one job, reports its conclusion
 * and exits with a matching code.
 *
 *   helios-agent --endpoint HOST:PORT --token TOKEN [--workdir DIR] [--tool-cache DIR]
 *   helios-agent --bootstrap FILE          (JSON {"endpoint": ..., "token": ..., "workdir"?: ...})
 *   HELIOS_AGENT_ENDPOINT=... HELIOS_AGENT_TOKEN=... helios-agent
 *
 * Exit codes: 0 success, 1 failure, 2 cancelled, 3 timed out, 4 errored (cannot connect, refused,
 * lost the server), 64 usage.
 */
import { readFileSync } from 'node:fs';
import { getPriority, homedir, setPriority } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { PLAN_VERSION, type JobSpec } from '@helios-ci/sdk';
import { raiseAutogroupNice } from '@helios-ci/sdk/autogroup';
import { AGENT_VERSION, Connection, FatalConnectionError } from './connection.js';
import { JobRunner, type JobConclusion } from './job/jobRunner.js';
import { routeActionsRuntime } from './job/actionsRuntimeRoute.js';

export const EXIT_CODES: Record<JobConclusion, number> = { success: 0, failure: 1, cancelled: 2, timed_out: 3, errored: 4 };
const EXIT_USAGE = 64;

export interface AgentConfig {
  endpoint: string;
  token: string;
  workDir: string;
  killGraceMs: number;
  pgidFile: string | null;
  /**
   * HELIOS_TRACKING_ID given to every process of the job (runtime-local: the machine id). Only an
   * explicit one counts, never an inherited HELIOS_TRACKING_ID: an agent started inside another
   * job must not kill that job's processes. Null: the agent makes one up.
   */
  trackingId: string | null;
  reconnectWindowMs: number;
  /** Largest log batch in bytes (tuning; default 256 KiB). */
  batchBytes: number;
  /** host:port of the job's egress proxy (bootstrap `egressProxy`, --egress-proxy); null: none. */
  egressProxy: string | null;
  /** Where the runtime put the job's warm volume (the job's warm paths are linked into it); null: none. */
  warmDir: string | null;
  /** RUNNER_TOOL_CACHE shared by the jobs of the host (runtime-local: `<workRoot>/_tool`); null: `<workdir>/_tool`. */
  toolCache: string | null;
  /**
   * host:port this machine reaches the actions runtime services at, when not the address in the job
   * spec (bootstrap `actionsEndpoint`, --actions-endpoint: a sandbox's relay); null: the spec's.
   */
  actionsEndpoint: string | null;
  /**
   * Niceness the agent gives itself before anything else, so every step inherits it (--nice,
   * bootstrap `nice`; 0-19): runtime-local's jobs yield the CPU to the server on a shared host. Null: unchanged.
   */
  nice: number | null;
}

const USAGE = `usage: helios-agent --endpoint HOST:PORT --token TOKEN [--workdir DIR] [--kill-grace-ms MS] [--pgid-file FILE] [--tracking-id ID] [--warm-dir DIR] [--tool-cache DIR] [--egress-proxy HOST:PORT] [--actions-endpoint HOST:PORT] [--nice 0-19]
       helios-agent --bootstrap FILE
       HELIOS_AGENT_ENDPOINT=HOST:PORT HELIOS_AGENT_TOKEN=TOKEN helios-agent`;

class UsageError extends Error {}

/** `host:port` or `[v6]:port`: the agent endpoint, the egress proxy, the actions runtime relay. */
const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new UsageError('');
    const m = /^--(endpoint|token|bootstrap|workdir|kill-grace-ms|pgid-file|tracking-id|warm-dir|tool-cache|egress-proxy|actions-endpoint|nice)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    args[m[1]!] = value;
  }
  let fromFile: Record<string, unknown> = {};
  if (args.bootstrap) {
    try {
      fromFile = JSON.parse(readFileSync(args.bootstrap, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`cannot read bootstrap file ${args.bootstrap}: ${(err as Error).message}`);
    }
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const endpoint = args.endpoint ?? str(fromFile.endpoint) ?? str(env.HELIOS_AGENT_ENDPOINT);
  const token = args.token ?? str(fromFile.token) ?? str(env.HELIOS_AGENT_TOKEN);
  if (!endpoint) throw new UsageError('no endpoint: pass --endpoint HOST:PORT, a --bootstrap file with "endpoint", or HELIOS_AGENT_ENDPOINT');
  if (!token) throw new UsageError('no token: pass --token, a --bootstrap file with "token", or HELIOS_AGENT_TOKEN');
  if (!HOST_PORT.test(endpoint)) throw new UsageError(`endpoint ${JSON.stringify(endpoint)} is not HOST:PORT`);
  const workDir = resolve(args.workdir ?? str(fromFile.workdir) ?? str(env.HELIOS_AGENT_WORKDIR) ?? join(homedir(), 'work'));
  const grace = Number(args['kill-grace-ms'] ?? fromFile.killGraceMs ?? env.HELIOS_AGENT_KILL_GRACE_MS ?? 5000);
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError('--kill-grace-ms must be a non-negative number');
  const pgidFile = args['pgid-file'] ?? str(fromFile.pgidFile) ?? str(env.HELIOS_AGENT_PGID_FILE) ?? null;
  const trackingId = args['tracking-id'] ?? str(fromFile.trackingId) ?? str(env.HELIOS_AGENT_TRACKING_ID) ?? null;
  if (trackingId !== null && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(trackingId)) {
    throw new UsageError(`--tracking-id ${JSON.stringify(trackingId)} is not a tracking marker (letters, digits, '.', '_', '-'; 1-128 characters)`);
  }
  const warmDir = args['warm-dir'] ?? str(fromFile.warmDir) ?? str(env.HELIOS_AGENT_WARM_DIR) ?? null;
  if (warmDir !== null && !isAbsolute(warmDir)) throw new UsageError(`--warm-dir ${JSON.stringify(warmDir)} must be an absolute directory`);
  const toolCache = args['tool-cache'] ?? str(fromFile.toolCache) ?? str(env.HELIOS_AGENT_TOOL_CACHE) ?? null;
  if (toolCache !== null && !isAbsolute(toolCache)) throw new UsageError(`--tool-cache ${JSON.stringify(toolCache)} must be an absolute directory`);
  const reconnect = Number(fromFile.reconnectWindowMs ?? env.HELIOS_AGENT_RECONNECT_WINDOW_MS ?? 5 * 60_000);
  const batchBytes = Number(env.HELIOS_AGENT_BATCH_BYTES ?? 256 * 1024);
  if (!Number.isInteger(batchBytes) || batchBytes < 1024 || batchBytes > 2 * 1024 * 1024) throw new UsageError('HELIOS_AGENT_BATCH_BYTES must be an integer between 1024 and 2097152');
  const egressProxy = args['egress-proxy'] ?? str(fromFile.egressProxy) ?? str(env.HELIOS_AGENT_EGRESS_PROXY) ?? null;
  if (egressProxy !== null && !HOST_PORT.test(egressProxy)) throw new UsageError(`egress proxy ${JSON.stringify(egressProxy)} is not HOST:PORT`);
  const actionsEndpoint = args['actions-endpoint'] ?? str(fromFile.actionsEndpoint) ?? str(env.HELIOS_AGENT_ACTIONS_ENDPOINT) ?? null;
  if (actionsEndpoint !== null && !HOST_PORT.test(actionsEndpoint)) throw new UsageError(`actions endpoint ${JSON.stringify(actionsEndpoint)} is not HOST:PORT`);
  const niceValue = args.nice ?? fromFile.nice ?? env.HELIOS_AGENT_NICE;
  const nice = niceValue === undefined || niceValue === '' ? null : Number(niceValue);
  if (nice !== null && !(Number.isInteger(nice) && nice >= 0 && nice <= 19)) throw new UsageError(`--nice ${JSON.stringify(niceValue)} must be an integer from 0 to 19`);
  return { endpoint, token, workDir, killGraceMs: grace, pgidFile, trackingId, reconnectWindowMs: reconnect, batchBytes, warmDir, toolCache, egressProxy, actionsEndpoint, nice };
}

const diag = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

export async function runAgent(config: AgentConfig): Promise<number> {
  const conn = new Connection({
    endpoint: config.endpoint,
    token: config.token,
    reconnectWindowMs: config.reconnectWindowMs,
    batchBytes: config.batchBytes,
    batchDelayMs: 200,
    maxUnackedBytes: 16 * 1024 * 1024,
    diagnostics: diag,
  });
  // Only the spec's text is kept from the Welcome, and only until it is parsed: the clone credential
  // in it must live in one place (the spec), which "Set up job" empties.
  let specJson: string | null;
  let egressCredential = '';
  try {
    const welcome = await conn.open();
    specJson = welcome.jobSpecJson;
    egressCredential = welcome.egressCredential ?? '';
  } catch (err) {
    diag(`helios-agent: cannot start the job: ${(err as Error).message}`);
    conn.close();
    return EXIT_CODES.errored;
  }
  let spec: JobSpec;
  try {
    spec = JSON.parse(specJson) as JobSpec;
    specJson = null;
    if (spec.planVersion !== PLAN_VERSION) throw new Error(`job plan version ${spec.planVersion}, this agent (${AGENT_VERSION}) understands ${PLAN_VERSION}; install the agent shipped with the server`);
    if (spec.actionsRuntime && config.actionsEndpoint) spec.actionsRuntime = routeActionsRuntime(spec.actionsRuntime, config.actionsEndpoint);
  } catch (err) {
    const reason = `the job spec is unusable: ${(err as Error).message}`;
    diag(`helios-agent: ${reason}`);
    await conn.finish({ conclusion: 'errored', outputs: {}, reason }, 10_000);
    return EXIT_CODES.errored;
  }

  const runner = new JobRunner(spec, conn, { workDir: config.workDir, killGraceMs: config.killGraceMs, pgidFile: config.pgidFile, trackingId: config.trackingId, cleanupMs: 5 * 60_000, warmDir: config.warmDir, toolCache: config.toolCache, ...(config.egressProxy && egressCredential ? { egress: { proxy: config.egressProxy, credential: egressCredential } } : {}) });
  conn.onCancel = (reason) => runner.cancel(reason);
  let lost: Error | null = null;
  conn.onFatal((err) => {
    lost = err;
    diag(`helios-agent: lost the server for good: ${err.message}; killing the job's processes`);
    runner.killNow();
    runner.cancel('the agent lost its connection to the server');
  });
  let terminating = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (terminating) return;
    terminating = true;
    diag(`helios-agent: ${sig}; cancelling the job`);
    runner.cancel(`the agent received ${sig} (machine shutting down)`);
    // Whatever happens, do not outlive the runtime's grace period by much.
    setTimeout(() => {
      runner.killNow();
      process.exit(EXIT_CODES.cancelled);
    }, Math.max(1000, config.killGraceMs + 1000)).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let result: { conclusion: JobConclusion; outputs: Record<string, string>; reason: string };
  try {
    result = await runner.run();
  } catch (err) {
    result = { conclusion: 'errored', outputs: {}, reason: runner.masker.mask(`agent error: ${(err as Error).message}`) };
  }
  await runner.cleanup();
  if (lost) return EXIT_CODES.errored;
  const acked = await conn.finish({ conclusion: result.conclusion, outputs: result.outputs, reason: result.reason }, 60_000);
  if (!acked) {
    diag('helios-agent: the server did not acknowledge the job result');
    return EXIT_CODES.errored;
  }
  return EXIT_CODES[result.conclusion];
}

/** The CLI entry: parses arguments, removes the token from the environment, runs, exits. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  let config: AgentConfig;
  try {
    config = parseConfig(argv, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) diag(`helios-agent: ${err.message}`);
      diag(USAGE);
      process.exit(err.message ? EXIT_USAGE : 0);
    }
    throw err;
  }
  // Steps inherit the agent's environment: the job token must not be in it.
  for (const k of Object.keys(process.env)) if (k.startsWith('HELIOS_AGENT_')) delete process.env[k];
  // Before any child: each process a step starts inherits it. Only ever raised (lowering it would
  // need privilege; an agent already nicer than asked stays so).
  if (config.nice !== null && config.nice > getPriority()) setPriority(config.nice);
  // Its session's share too (autogroup scheduling counts sessions first); runtime-local has usually done it.
  if (config.nice) raiseAutogroupNice('self', config.nice);
  const code = await runAgent(config);
  process.exitCode = code;
  // grpc-js may keep handles for a moment after close; do not linger past the result.
  setTimeout(() => process.exit(code), 500).unref();
}

export { FatalConnectionError };
