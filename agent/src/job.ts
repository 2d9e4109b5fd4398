/**
 * Runs one job like GitHub's runner: clone at the exact SHA, then the steps in order with status
 * functions, env layering, file commands, composite actions, timeouts and cancel.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, hostname, platform } from 'node:os';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import type { BuiltinStep, CompositeStep, JobSpec, RunStep, Step } from '@helios-ci/sdk';
import { parseKeyValueFile } from './commands.js';
import type { Connection } from './connection.js';
import { evaluateCondition, evaluateFlag, interpolate, type EvalScope, type JobStatus } from './expressions.js';
import { SecretMasker as Masker } from '@helios-ci/sdk/secret-masker';
import { CommandState } from './output.js';
import { ProcessGroups, runProcess, type ProcessResult } from './process.js';

export type JobConclusion = 'success' | 'failure' | 'cancelled' | 'timed_out' | 'errored';
type StepResult = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface JobOptions {
  workDir: string;
  killGraceMs: number;
  pgidFile: string | null;
  /** Time given to `if: always()` steps after a cancel or job timeout. */
  cleanupMs: number;
}

interface StepsContext {
  [id: string]: { outputs: Record<string, string>; outcome: StepResult; conclusion: StepResult };
}

/** One level of step execution: the job itself, or a composite action's own steps. */
interface Frame {
  prefix: string;
  parent: string;
  steps: StepsContext;
  status: JobStatus;
  inputs: Record<string, string>;
  /** Env of the enclosing composite step (already evaluated); {} at job level. */
  env: Record<string, string>;
  actionPath: string | null;
}

const SAFE_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const SUMMARY_LIMIT = 1024 * 1024;
const SHELLS: Record<string, { argv: string[]; ext: string }> = {
  bash: { argv: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '{0}'], ext: '.sh' },
  sh: { argv: ['sh', '-e', '{0}'], ext: '.sh' },
  python: { argv: ['python', '{0}'], ext: '.py' },
};

const whichCache = new Map<string, string | null>();

/** PATH lookup, memoised per (name, PATH): every step asks for its shell, and PATH rarely changes. */
function which(name: string, pathValue: string | undefined): string | null {
  const key = `${name}\0${pathValue ?? ''}`;
  if (!whichCache.has(key)) whichCache.set(key, lookPath(name, pathValue));
  return whichCache.get(key)!;
}

function lookPath(name: string, pathValue: string | undefined): string | null {
  if (name.includes('/')) return existsSync(name) ? name : null;
  for (const dir of (pathValue ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

export class JobRunner {
  readonly masker = new Masker();
  private readonly groups: ProcessGroups;
  private readonly workspace: string;
  private readonly temp: string;
  private readonly baseEnv: NodeJS.ProcessEnv;
  /** GITHUB_ENV additions, in effect for every later step of the job. */
  private readonly addedEnv: Record<string, string> = {};
  /** GITHUB_PATH additions, newest first. */
  private readonly addedPath: string[] = [];
  private jobEnv: Record<string, string> = {};
  private cancelReason: string | null = null;
  private timedOut = false;
  private readonly killers = new Set<(why: 'timeout' | 'cancel') => void>();
  /** The running step was started after a cancel (an always() step): only a new kill reason stops it. */
  private stepStartedCancelled = false;

  constructor(
    private readonly spec: JobSpec,
    private readonly conn: Connection,
    private readonly opts: JobOptions,
  ) {
    this.groups = new ProcessGroups(opts.pgidFile);
    for (const value of Object.values(spec.secrets)) this.masker.add(value);
    if (spec.repository.token) {
      this.masker.add(spec.repository.token);
      this.masker.add(Buffer.from(`x-access-token:${spec.repository.token}`).toString('base64'));
    }
    const repoName = spec.repository.fullName.split('/').pop() ?? '';
    this.workspace = join(opts.workDir, /^[A-Za-z0-9._-]+$/.test(repoName) && !/^\.+$/.test(repoName) ? repoName : 'workspace');
    this.temp = join(opts.workDir, '_temp');
    // The agent's own environment minus anything of the agent's (its token must not reach steps).
    this.baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HELIOS_AGENT_')));
  }

  get cancelled(): boolean {
    return this.cancelReason !== null || this.timedOut;
  }

  cancel(reason: string): void {
    if (this.cancelReason !== null) return;
    this.cancelReason = reason;
    this.system('__job', `##[error]The job was cancelled: ${reason}`);
    for (const kill of this.killers) kill('cancel');
  }

  /** Kills every process group this job started (background processes included). */
  async cleanup(): Promise<void> {
    await this.groups.killAll(this.opts.killGraceMs);
  }

  killNow(): void {
    this.groups.killAllNow();
  }

  private system(step: string, line: string): void {
    this.conn.log(step, 'SYSTEM', this.masker.mask(line), 1);
  }

  async run(): Promise<{ conclusion: JobConclusion; outputs: Record<string, string>; reason: string }> {
    const job = this.spec.job;
    const timeoutMs = job.timeoutMinutes > 0 ? job.timeoutMinutes * 60_000 : null;
    const jobTimer = timeoutMs !== null
      ? setTimeout(() => {
          this.timedOut = true;
          this.system('__job', `##[error]The job exceeded its timeout of ${job.timeoutMinutes} minutes`);
          for (const kill of this.killers) kill('timeout');
        }, timeoutMs)
      : null;
    const frame: Frame = { prefix: '', parent: '', steps: {}, status: 'success', inputs: this.spec.inputs, env: {}, actionPath: null };
    let reason = '';
    try {
      const setupOk = await this.setup(frame);
      if (!setupOk) {
        frame.status = 'failure';
        reason = 'setting up the job failed (see the "Set up job" log)';
      }
      await this.runSteps(job.steps, frame, !setupOk);
    } finally {
      if (jobTimer) clearTimeout(jobTimer);
    }
    let outputs: Record<string, string> = {};
    try {
      const scope = this.scope(frame, {});
      outputs = Object.fromEntries(Object.entries(job.outputs).map(([k, v]) => [k, this.masker.mask(interpolate(v, scope))]));
    } catch (err) {
      this.system('__job', `##[error]job outputs: ${(err as Error).message}`);
      if (frame.status === 'success') frame.status = 'failure';
      reason ||= 'evaluating the job outputs failed';
    }
    let conclusion: JobConclusion;
    if (this.timedOut) {
      conclusion = 'timed_out';
      reason = `the job exceeded its timeout of ${job.timeoutMinutes} minutes`;
    } else if (this.cancelReason !== null) {
      conclusion = 'cancelled';
      reason = this.cancelReason;
    } else if (frame.status === 'failure') {
      conclusion = 'failure';
      reason ||= 'a step failed';
    } else {
      conclusion = 'success';
    }
    return { conclusion, outputs, reason: this.masker.mask(reason) };
  }

  // ---- contexts ------------------------------------------------------------------------------

  private scope(frame: Frame, stepEnv: Record<string, string>): EvalScope {
    const s = this.spec;
    const github = {
      ...s.github,
      workspace: this.workspace,
      sha: s.repository.sha,
      ref: s.repository.ref,
      repository: s.repository.fullName,
      job: s.job.jobKey,
      run_id: s.runId,
      action_path: frame.actionPath ?? '',
    };
    return {
      contexts: {
        github,
        env: { ...this.jobEnv, ...this.addedEnv, ...frame.env, ...stepEnv },
        vars: s.vars,
        secrets: s.secrets,
        matrix: s.job.matrix ?? {},
        needs: s.needs,
        steps: frame.steps,
        job: { status: this.cancelled ? 'cancelled' : frame.status, container: {}, services: {} },
        runner: this.runnerContext(),
        inputs: frame.inputs,
        strategy: { 'fail-fast': s.job.strategy.failFast, 'max-parallel': s.job.strategy.maxParallel ?? 1 },
      },
      status: frame.status,
      cancelled: this.cancelled,
      workspace: this.workspace,
    };
  }

  private runnerContext(): Record<string, string> {
    const os = platform() === 'linux' ? 'Linux' : platform() === 'darwin' ? 'macOS' : platform() === 'sunos' ? 'illumos' : platform();
    const a = arch() === 'x64' ? 'X64' : arch() === 'arm64' ? 'ARM64' : arch().toUpperCase();
    return { os, arch: a, name: hostname(), temp: this.temp, tool_cache: join(this.opts.workDir, '_tool') };
  }

  private processEnv(frame: Frame, stepEnv: Record<string, string>, files: Record<string, string>): NodeJS.ProcessEnv {
    const s = this.spec;
    const env: NodeJS.ProcessEnv = {
      ...this.baseEnv,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      HELIOS_CI: 'true',
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_SHA: s.repository.sha,
      GITHUB_REF: s.repository.ref,
      GITHUB_REPOSITORY: s.repository.fullName,
      GITHUB_RUN_ID: s.runId,
      GITHUB_JOB: s.job.jobKey,
      GITHUB_EVENT_NAME: String(s.github.event_name ?? ''),
      RUNNER_TEMP: this.temp,
      RUNNER_OS: this.runnerContext().os,
      RUNNER_ARCH: this.runnerContext().arch,
      ...this.jobEnv,
      ...this.addedEnv,
      ...frame.env,
      ...stepEnv,
      ...files,
    };
    if (frame.actionPath) env.GITHUB_ACTION_PATH = frame.actionPath;
    if (this.addedPath.length > 0) env.PATH = [...this.addedPath, env.PATH ?? ''].filter(Boolean).join(delimiter);
    return env;
  }

  // ---- setup and clone -----------------------------------------------------------------------

  private async setup(frame: Frame): Promise<boolean> {
    const step = '__setup';
    this.conn.send({ stepStarted: { step, name: 'Set up job', parent: '', ts: Date.now() } });
    let ok = true;
    try {
      rmSync(this.workspace, { recursive: true, force: true });
      rmSync(this.temp, { recursive: true, force: true });
      mkdirSync(this.workspace, { recursive: true });
      mkdirSync(join(this.temp, '_runner_file_commands'), { recursive: true });
      // Job env (workflow env overlaid with job env) is evaluated once, at job start.
      const scope = this.scope(frame, {});
      for (const [k, v] of Object.entries(this.spec.job.env)) {
        this.jobEnv[k] = interpolate(v, { ...scope, contexts: { ...scope.contexts, env: { ...this.jobEnv } } });
      }
      this.system(step, `Cloning ${this.spec.repository.fullName} at ${this.spec.repository.sha}`);
      ok = await this.checkout(step, this.workspace, this.spec.repository.sha, 1, 'false');
    } catch (err) {
      this.system(step, `##[error]${(err as Error).message}`);
      ok = false;
    }
    const result: StepResult = this.cancelled ? 'cancelled' : ok ? 'success' : 'failure';
    this.conn.send({ stepFinished: { step, exit: -1, outputs: {}, outcome: result, conclusion: result, ts: Date.now(), summary: '' } });
    return ok;
  }

  /** git with the clone credential in the environment only (GIT_CONFIG_*), never in argv. */
  private gitEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.baseEnv, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
    const token = this.spec.repository.token;
    let n = 0;
    if (token) {
      const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
      env[`GIT_CONFIG_KEY_${n}`] = 'http.extraHeader';
      env[`GIT_CONFIG_VALUE_${n}`] = `AUTHORIZATION: basic ${basic}`;
      n++;
    }
    if (this.spec.repository.cloneUrl.startsWith('file://') || isAbsolute(this.spec.repository.cloneUrl)) {
      // Local clones (tests, mirrors): let submodules use the file transport too.
      env[`GIT_CONFIG_KEY_${n}`] = 'protocol.file.allow';
      env[`GIT_CONFIG_VALUE_${n}`] = 'always';
      n++;
    }
    env.GIT_CONFIG_COUNT = String(n);
    return env;
  }

  private async git(step: string, cwd: string, args: string[]): Promise<boolean> {
    const r = await this.exec(step, ['git', ...args], cwd, this.gitEnv(), null);
    if (r.exit !== 0) this.system(step, `##[error]git ${args[0]} failed (${describe(r)})`);
    return r.exit === 0;
  }

  /** Fetches `target` (a SHA, branch, tag or ref) into `dir` and checks it out detached. */
  private async checkout(step: string, dir: string, target: string, depth: number, submodules: string): Promise<boolean> {
    const url = this.spec.repository.cloneUrl;
    if (url.startsWith('-') || /[\r\n]/.test(url)) throw new Error(`refusing clone URL ${JSON.stringify(url)}`);
    if (!SAFE_SHA.test(target) && !/^(?!-)(?!.*\.\.)[A-Za-z0-9._/@+-]+$/.test(target)) {
      throw new Error(`ref ${JSON.stringify(target)} is not a valid git ref or SHA`);
    }
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, '.git'))) {
      if (!(await this.git(step, dir, ['init', '-q']))) return false;
      if (!(await this.git(step, dir, ['remote', 'add', 'origin', '--', url]))) return false;
    }
    const shallow = existsSync(join(dir, '.git', 'shallow'));
    if (depth <= 0) {
      const args = ['fetch', '--no-tags', '--prune', '--no-recurse-submodules'];
      if (shallow) args.push('--unshallow');
      args.push('origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
      if (!(await this.git(step, dir, args))) return false;
    }
    const fetch = ['fetch', '--no-tags', '--no-recurse-submodules'];
    if (depth > 0) fetch.push(`--depth=${depth}`);
    fetch.push('origin', target);
    if (!(await this.git(step, dir, fetch))) return false;
    if (!(await this.git(step, dir, ['checkout', '-q', '--force', '--detach', 'FETCH_HEAD']))) return false;
    if (submodules === 'true' || submodules === 'recursive') {
      if (!(await this.git(step, dir, ['submodule', 'sync', ...(submodules === 'recursive' ? ['--recursive'] : [])]))) return false;
      const update = ['submodule', 'update', '--init', '--force'];
      if (submodules === 'recursive') update.push('--recursive');
      if (depth > 0) update.push(`--depth=${depth}`);
      if (!(await this.git(step, dir, update))) return false;
    }
    return true;
  }

  // ---- steps ---------------------------------------------------------------------------------

  private async runSteps(steps: Step[], frame: Frame, setupFailed = false): Promise<void> {
    for (const step of steps) await this.runStep(step, frame, setupFailed);
  }

  private async runStep(step: Step, frame: Frame, setupFailed: boolean): Promise<void> {
    const id = frame.prefix + step.id;
    let scope = this.scope(frame, {});
    let name = step.name;
    let run: boolean;
    try {
      name = interpolate(step.name, scope);
    } catch {
      /* show the name as written */
    }
    let conditionError: string | null = null;
    try {
      run = !setupFailed || /\b(always|failure)\s*\(/.test(step.if ?? '') ? evaluateCondition(step.if, scope) : false;
    } catch (err) {
      conditionError = (err as Error).message;
      run = false;
    }
    this.conn.send({ stepStarted: { step: id, name: this.masker.mask(name), parent: frame.parent, ts: Date.now() } });
    if (conditionError !== null) {
      this.system(id, `##[error]if: ${conditionError}`);
      this.record(frame, step, id, 'failure', false, {}, -1, '');
      return;
    }
    if (!run) {
      this.record(frame, step, id, 'skipped', false, {}, -1, '');
      return;
    }
    const startedCancelled = this.cancelled;
    let continueOnError = false;
    let outcome: StepResult = 'success';
    let outputs: Record<string, string> = {};
    let exit = -1;
    let summary = '';
    try {
      continueOnError = evaluateFlag(step.continueOnError, scope);
      // Step env values may reference earlier ones through env.*, as on GitHub.
      const stepEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.env)) {
        stepEnv[k] = interpolate(v, this.scope(frame, stepEnv));
      }
      scope = this.scope(frame, stepEnv);
      let timeoutMs = step.timeoutMinutes !== null && step.timeoutMinutes > 0 ? step.timeoutMinutes * 60_000 : null;
      if (startedCancelled) timeoutMs = Math.min(timeoutMs ?? Infinity, this.opts.cleanupMs);
      const saved = this.stepStartedCancelled;
      this.stepStartedCancelled = startedCancelled;
      const r = await this.execute(step, id, frame, scope, stepEnv, timeoutMs).finally(() => {
        this.stepStartedCancelled = saved;
      });
      outcome = r.outcome;
      outputs = r.outputs;
      exit = r.exit;
      summary = r.summary;
    } catch (err) {
      this.system(id, `##[error]${(err as Error).message}`);
      outcome = 'failure';
    }
    if (outcome === 'failure' && this.cancelled && !startedCancelled) outcome = 'cancelled';
    this.record(frame, step, id, outcome, continueOnError, outputs, exit, summary);
  }

  private record(frame: Frame, step: Step, id: string, outcome: StepResult, continueOnError: boolean, outputs: Record<string, string>, exit: number, summary: string): void {
    const conclusion: StepResult = outcome === 'failure' && continueOnError ? 'success' : outcome;
    frame.steps[step.id] = { outputs, outcome, conclusion };
    if (conclusion === 'failure') frame.status = 'failure';
    const masked = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, this.masker.mask(v)]));
    this.conn.send({ stepFinished: { step: id, exit, outputs: masked, outcome, conclusion, ts: Date.now(), summary: this.masker.mask(summary) } });
  }

  private async execute(
    step: Step,
    id: string,
    frame: Frame,
    scope: EvalScope,
    stepEnv: Record<string, string>,
    timeoutMs: number | null,
  ): Promise<{ outcome: StepResult; outputs: Record<string, string>; exit: number; summary: string }> {
    switch (step.kind) {
      case 'run':
        return this.runScript(step, id, frame, scope, stepEnv, timeoutMs);
      case 'composite':
        return this.runComposite(step, id, frame, scope, stepEnv);
      case 'builtin':
        return this.runBuiltin(step, id, scope);
    }
  }

  private resolveShell(shell: string | null, pathValue: string | undefined): { argv: string[]; ext: string } {
    const name = shell ?? this.spec.job.defaults.shell;
    if (!name) {
      // GitHub's default on Linux: bash -e {0}, or sh -e {0} where there is no bash.
      return which('bash', pathValue) ? { argv: ['bash', '-e', '{0}'], ext: '.sh' } : { argv: ['sh', '-e', '{0}'], ext: '.sh' };
    }
    const known = SHELLS[name];
    if (known) {
      if (name === 'python' && !which('python', pathValue) && which('python3', pathValue)) return { argv: ['python3', '{0}'], ext: '.py' };
      return known;
    }
    if (name === 'pwsh' || name === 'powershell' || name === 'cmd') {
      throw new Error(`shell "${name}" is not supported by helios-agent; use bash, sh, python or a custom "{0}" template`);
    }
    if (!name.includes('{0}')) throw new Error(`shell ${JSON.stringify(name)} is neither bash/sh/python nor a template containing {0}`);
    const argv = name.trim().split(/\s+/);
    return { argv, ext: argv[0] && /python/.test(argv[0]) ? '.py' : '' };
  }

  private fileCommands: Record<string, string> | null = null;

  /**
   * The GITHUB_ENV/OUTPUT/PATH/STEP_SUMMARY/STATE files. Made once per job and emptied after each
   * step has been read (steps run one at a time): creating five files per step cost more than the
   * step itself for trivial steps.
   */
  private fileCommandPaths(): Record<string, string> {
    if (this.fileCommands) return this.fileCommands;
    const dir = join(this.temp, '_runner_file_commands');
    mkdirSync(dir, { recursive: true });
    const u = randomUUID();
    this.fileCommands = {
      GITHUB_ENV: join(dir, `set_env_${u}`),
      GITHUB_OUTPUT: join(dir, `set_output_${u}`),
      GITHUB_PATH: join(dir, `add_path_${u}`),
      GITHUB_STEP_SUMMARY: join(dir, `step_summary_${u}`),
      GITHUB_STATE: join(dir, `save_state_${u}`),
    };
    for (const f of Object.values(this.fileCommands)) writeFileSync(f, '');
    return this.fileCommands;
  }

  /** Applies GITHUB_ENV / GITHUB_PATH, returns outputs and summary; an error fails the step. */
  private readFileCommands(id: string, files: Record<string, string>): { outputs: Record<string, string>; summary: string; error: boolean } {
    let error = false;
    const read = (p: string) => {
      try {
        const text = readFileSync(p, 'utf8');
        // Emptied for the next step (the files are reused for the whole job).
        if (text.length > 0) writeFileSync(p, '');
        return text;
      } catch {
        return '';
      }
    };
    const env = parseKeyValueFile(read(files.GITHUB_ENV!));
    if (env.error) {
      this.system(id, `##[error]GITHUB_ENV: ${env.error}`);
      error = true;
    }
    for (const [k, v] of Object.entries(env.values)) {
      if (/^(GITHUB_|RUNNER_)/.test(k) || k === 'NODE_OPTIONS') {
        this.system(id, `##[warning]GITHUB_ENV: ${k} cannot be overridden; ignored`);
        continue;
      }
      this.addedEnv[k] = v;
    }
    const out = parseKeyValueFile(read(files.GITHUB_OUTPUT!));
    if (out.error) {
      this.system(id, `##[error]GITHUB_OUTPUT: ${out.error}`);
      error = true;
    }
    for (const line of read(files.GITHUB_PATH!).split(/\r?\n/)) {
      const p = line.trim();
      if (p) this.addedPath.unshift(p);
    }
    let summary = read(files.GITHUB_STEP_SUMMARY!);
    if (summary.length > SUMMARY_LIMIT) {
      this.system(id, `##[warning]GITHUB_STEP_SUMMARY is larger than ${SUMMARY_LIMIT} bytes; it was cut`);
      summary = summary.slice(0, SUMMARY_LIMIT);
    }
    return { outputs: out.values, summary, error };
  }

  private async exec(id: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number | null): Promise<ProcessResult> {
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

  private async runScript(step: RunStep, id: string, frame: Frame, scope: EvalScope, stepEnv: Record<string, string>, timeoutMs: number | null) {
    const files = this.fileCommandPaths();
    const env = this.processEnv(frame, stepEnv, files);
    const script = interpolate(step.run, scope);
    const shell = this.resolveShell(step.shell, env.PATH);
    const scriptPath = join(this.temp, `${randomUUID()}${shell.ext}`);
    writeFileSync(scriptPath, script.endsWith('\n') ? script : `${script}\n`);
    const argv = shell.argv.map((a) => a.replace('{0}', scriptPath));
    const wd = step.workingDirectory ?? (frame.actionPath ? null : this.spec.job.defaults.workingDirectory);
    const cwd = wd ? resolve(this.workspace, interpolate(wd, scope)) : this.workspace;
    if (!existsSync(cwd)) throw new Error(`working-directory ${relative(this.workspace, cwd) || '.'} does not exist in the workspace`);
    const r = await this.exec(id, argv, cwd, env, timeoutMs);
    rmSync(scriptPath, { force: true });
    const fc = this.readFileCommands(id, files);
    let outcome: StepResult = r.exit === 0 && !fc.error ? 'success' : 'failure';
    if (r.spawnError) this.system(id, `##[error]cannot start ${shell.argv[0]}: ${r.spawnError}`);
    else if (r.killed === 'timeout' && !this.timedOut) this.system(id, `##[error]The step exceeded its timeout of ${step.timeoutMinutes} minutes`);
    else if (r.exit !== 0) this.system(id, `##[error]Process completed with ${describe(r)}.`);
    if (r.killed === 'cancel') outcome = 'cancelled';
    return { outcome, outputs: fc.outputs, exit: r.exit ?? -1, summary: fc.summary };
  }

  private async runComposite(step: CompositeStep, id: string, frame: Frame, scope: EvalScope, stepEnv: Record<string, string>) {
    if (!step.uses.startsWith('./')) throw new Error(`composite action ${step.uses}: only local actions (./path) are supported`);
    const actionPath = resolve(this.workspace, step.uses);
    if (relative(this.workspace, actionPath).startsWith('..')) throw new Error(`composite action ${step.uses} is outside the workspace`);
    const inputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.inputDefaults)) inputs[k] = interpolate(v, scope);
    for (const [k, v] of Object.entries(step.with)) inputs[k] = interpolate(v, scope);
    const inner: Frame = {
      prefix: `${id}/`,
      parent: id,
      steps: {},
      // A composite starts from the caller's status, so its success()/failure() see the job so far.
      status: frame.status,
      inputs,
      env: { ...frame.env, ...stepEnv },
      actionPath,
    };
    await this.runSteps(step.steps, inner);
    const innerScope = this.scope(inner, {});
    const outputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.outputs)) outputs[k] = interpolate(v, innerScope);
    const failed = Object.values(inner.steps).some((s) => s.conclusion === 'failure');
    const cancelled = Object.values(inner.steps).some((s) => s.conclusion === 'cancelled');
    return { outcome: (failed ? 'failure' : cancelled ? 'cancelled' : 'success') as StepResult, outputs, exit: -1, summary: '' };
  }

  private async runBuiltin(step: BuiltinStep, id: string, scope: EvalScope) {
    const w: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.with)) w[k] = interpolate(v, scope);
    switch (step.action) {
      case 'checkout': {
        if (w.repository && w.repository !== this.spec.repository.fullName) {
          throw new Error(`actions/checkout: repository ${w.repository} is not supported (helios-agent checks out only the job's own repository, ${this.spec.repository.fullName})`);
        }
        const dir = resolve(this.workspace, w.path ?? '');
        if (relative(this.workspace, dir).startsWith('..')) throw new Error(`actions/checkout: path ${w.path} is outside the workspace`);
        const depthText = w['fetch-depth'] ?? '1';
        const depth = Number.parseInt(depthText, 10);
        if (!Number.isInteger(depth) || depth < 0) throw new Error(`actions/checkout: fetch-depth ${JSON.stringify(depthText)} is not a non-negative integer`);
        const submodules = (w.submodules ?? 'false').toLowerCase();
        if (!['true', 'false', 'recursive'].includes(submodules)) throw new Error(`actions/checkout: submodules must be true, false or recursive, not ${JSON.stringify(w.submodules)}`);
        const ref = w.ref || this.spec.repository.sha;
        const ok = await this.checkout(id, dir, ref, depth, submodules);
        return { outcome: (ok ? 'success' : 'failure') as StepResult, outputs: {}, exit: -1, summary: '' };
      }
      case 'cache':
      case 'upload-artifact':
        throw new Error(`${step.uses}: not supported by this agent yet (helios-agent ${'0.1.0'} implements actions/checkout only); remove the step or run it on a runtime with storage support`);
    }
  }
}

function describe(r: ProcessResult): string {
  if (r.spawnError) return r.spawnError;
  if (r.killed === 'timeout') return 'timed out';
  if (r.killed === 'cancel') return 'cancelled';
  if (r.signal) return `signal ${r.signal}`;
  return `exit code ${r.exit}`;
}
