/**
 * What every part of a running job shares: the spec, the connection, the secret masker, the process
 * groups, the env layers added by earlier steps, and the cancel/timeout state that kills processes.
 */
import { join } from 'node:path';
import type { JobSpec } from '@helios-ci/sdk';
import { SecretMasker as Masker } from '@helios-ci/sdk/secret-masker';
import type { Connection } from '../connection.js';
import { CommandState } from '../output.js';
import { newTrackingId, ProcessGroups, runProcess, type ProcessResult } from '../process.js';
import { splitUserinfo } from './cloneCredential.js';
import type { CloneMirror } from './cloneMirror.js';
import { FileCommands } from './fileCommands.js';
import type { PostStep } from './frame.js';

export interface JobOptions {
  workDir: string;
  killGraceMs: number;
  pgidFile: string | null;
  /** The machine's process-tracking marker (HELIOS_TRACKING_ID); absent/null: a fresh one. */
  trackingId?: string | null;
  /** Time given to `if: always()` steps after a cancel or job timeout. */
  cleanupMs: number;
  /** The job's warm volume as the runtime mounted it (`--warm-dir`); absent/null: none. */
  warmDir?: string | null;
  /** The job's egress proxy and its credential (`user:secret`): steps and the agent's git use it. */
  egress?: { proxy: string; credential: string };
  /**
   * RUNNER_TOOL_CACHE: where setup-* actions keep the tools they download. The runtime gives a
   * directory shared by the jobs of its host (`--tool-cache`); absent/null: `<workDir>/_tool`.
   */
  toolCache?: string | null;
}

export type KillReason = 'timeout' | 'cancel';

/** In-process work of a step ran past the step's `timeout-minutes`. */
export class StepTimeoutError extends Error {
  constructor() {
    super('the step timed out');
  }
}

export class JobContext {
  readonly masker = new Masker();
  readonly groups: ProcessGroups;
  readonly workspace: string;
  readonly temp: string;
  readonly baseEnv: NodeJS.ProcessEnv;
  /** GITHUB_ENV additions, in effect for every later step of the job. */
  readonly addedEnv: Record<string, string> = {};
  /** GITHUB_PATH additions, newest first. */
  readonly addedPath: string[] = [];
  /** Workflow env overlaid with job env, evaluated once at job start. */
  readonly jobEnv: Record<string, string> = {};
  readonly fileCommands: FileCommands;
  /** GITHUB_STATE an action wrote, by its step id: STATE_<name> of its later runs (main, post). */
  readonly actionState = new Map<string, Record<string, string>>();
  /** Post steps registered by the actions that ran, in registration order. */
  readonly postSteps: PostStep[] = [];
  /** RUNNER_TOOL_CACHE (JobOptions.toolCache). */
  readonly toolCache: string;
  /** The job's private mirror, from "Set up job"; every checkout fetches from it. */
  mirror: CloneMirror | null = null;
  cancelReason: string | null = null;
  timedOut = false;
  private readonly killers = new Set<(why: KillReason) => void>();
  /** The running step was started after a cancel (an always() step): only a new kill reason stops it. */
  stepStartedCancelled = false;

  constructor(
    readonly spec: JobSpec,
    readonly conn: Connection,
    readonly opts: JobOptions,
  ) {
    this.groups = new ProcessGroups(opts.pgidFile, opts.trackingId ?? newTrackingId());
    for (const value of Object.values(spec.secrets)) this.masker.add(value);
    if (spec.actionsRuntime) this.masker.add(spec.actionsRuntime.token);
    if (typeof spec.github.token === 'string' && spec.github.token) this.masker.add(spec.github.token);
    // Kept for masking only (in this process's memory, never handed to a child); the spec itself
    // loses the credential at "Set up job" (cloneCredential.ts).
    const userinfo = splitUserinfo(spec.repository.cloneUrl).userinfo;
    for (const basic of [spec.repository.token ? `x-access-token:${spec.repository.token}` : null, userinfo]) {
      const secret = basic?.slice(basic.indexOf(':') + 1);
      if (!basic || !secret) continue;
      this.masker.add(secret);
      this.masker.add(Buffer.from(basic).toString('base64'));
    }
    const repoName = spec.repository.fullName.split('/').pop() ?? '';
    this.workspace = join(opts.workDir, /^[A-Za-z0-9._-]+$/.test(repoName) && !/^\.+$/.test(repoName) ? repoName : 'workspace');
    this.temp = join(opts.workDir, '_temp');
    this.toolCache = opts.toolCache ?? join(opts.workDir, '_tool');
    // The agent's own environment minus anything of the agent's (its token must not reach steps).
    this.baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HELIOS_AGENT_')));
    if (opts.egress) {
      Object.assign(this.baseEnv, proxyEnv(opts.egress));
      this.masker.add(opts.egress.credential.slice(opts.egress.credential.indexOf(':') + 1));
      this.masker.add(Buffer.from(opts.egress.credential).toString('base64'));
    }
    this.fileCommands = new FileCommands(join(this.temp, '_runner_file_commands'));
  }

  get cancelled(): boolean {
    return this.cancelReason !== null || this.timedOut;
  }

  /** Stops every running process of the job for `why`. */
  killRunning(why: KillReason): void {
    for (const kill of this.killers) kill(why);
  }

  /**
   * Runs in-process work (a cache or artifact transfer) that a cancel, the job timeout or the step's
   * own `timeoutMs` must stop: `signal` aborts then, as a process would be killed. After the step
   * timeout the result is a StepTimeoutError, whatever the work made of the abort.
   */
  async killable<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number | null = null): Promise<T> {
    const controller = new AbortController();
    const kill = (why: KillReason) => controller.abort(new Error(why === 'timeout' ? 'the job timed out' : 'the job was cancelled'));
    this.killers.add(kill);
    if (this.cancelled && !this.stepStartedCancelled) kill(this.timedOut ? 'timeout' : 'cancel');
    let stepTimedOut = false;
    const timer = timeoutMs !== null
      ? setTimeout(() => {
          stepTimedOut = true;
          controller.abort(new StepTimeoutError());
        }, timeoutMs)
      : null;
    try {
      const value = await work(controller.signal);
      if (stepTimedOut) throw new StepTimeoutError();
      return value;
    } catch (err) {
      throw stepTimedOut ? new StepTimeoutError() : err;
    } finally {
      if (timer) clearTimeout(timer);
      this.killers.delete(kill);
    }
  }

  /** A SYSTEM log line for `step`, masked. */
  system(step: string, line: string): void {
    this.conn.log(step, 'SYSTEM', this.masker.mask(line), 1);
  }

  /** Runs one process of step `id`, streaming its output and obeying cancel and the job timeout. */
  async exec(id: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number | null): Promise<ProcessResult> {
    const state = new CommandState(id, this.conn, this.masker);
    return runProcess({
      argv,
      cwd,
      env,
      state,
      conn: this.conn,
      timeoutMs,
      killGraceMs: this.opts.killGraceMs,
      groups: this.groups,
      onKillable: (kill) => {
        this.killers.add(kill);
        // A cancel or job timeout that came before the process started still applies to it.
        if (this.cancelled && !this.stepStartedCancelled) queueMicrotask(() => kill(this.timedOut ? 'timeout' : 'cancel'));
        return () => this.killers.delete(kill);
      },
    });
  }
}

/** How a finished process is named in an error line. */
export function describeResult(r: ProcessResult): string {
  if (r.spawnError) return r.spawnError;
  if (r.killed === 'timeout') return 'timed out';
  if (r.killed === 'cancel') return 'cancelled';
  if (r.signal) return `signal ${r.signal}`;
  return `exit code ${r.exit}`;
}

/**
 * HTTP(S)_PROXY for steps and the agent's git: every outbound HTTP(S) goes through the job's egress
 * proxy. NO_PROXY keeps the machine's own loopback direct (services a job starts for its tests).
 */
export function proxyEnv(egress: { proxy: string; credential: string }): Record<string, string> {
  const colon = egress.credential.indexOf(':');
  const userinfo = `${encodeURIComponent(egress.credential.slice(0, colon))}:${encodeURIComponent(egress.credential.slice(colon + 1))}`;
  const url = `http://${userinfo}@${egress.proxy}`;
  const noProxy = 'localhost,127.0.0.1,::1';
  return { HTTPS_PROXY: url, HTTP_PROXY: url, https_proxy: url, http_proxy: url, NO_PROXY: noProxy, no_proxy: noProxy };
}
