/** Test harness: a real git repository, the real AgentService and the real bundled agent process. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentService, type AgentServiceOptions, type AnnotationEvent, type JobConclusion, type JobFinishedEvent, type JobHandle, type JobSink, type LogBatch, type StepFinishedEvent, type StepStartedEvent } from '@helios-ci/core';
import { PLAN_VERSION, type JobPlan, type JobSpec, type RunStep, type Step } from '@helios-ci/sdk';

export const AGENT_BUNDLE = join(dirname(fileURLToPath(import.meta.url)), '../../dist/helios-agent.mjs');

export function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export interface Repo {
  dir: string;
  url: string;
  sha: string;
  firstSha: string;
}

/** A repository with two commits; `sha` is the second, `firstSha` the first. */
export function makeRepo(root: string): Repo {
  const dir = join(root, 'origin');
  mkdirSync(join(dir, '.github/actions/greet'), { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'README.md'), 'first\n');
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'one']);
  const firstSha = git(dir, ['rev-parse', 'HEAD']);
  writeFileSync(join(dir, 'README.md'), 'second\n');
  writeFileSync(join(dir, 'package-lock.json'), '{"lock":1}\n');
  writeFileSync(join(dir, '.github/actions/greet/greet.sh'), 'echo "greet.sh says $1"\n');
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'two']);
  return { dir, url: `file://${dir}`, sha: git(dir, ['rev-parse', 'HEAD']), firstSha };
}

let counter = 0;
export function run(script: string, extra: Partial<RunStep> = {}): RunStep {
  counter++;
  return { id: `__${counter}`, name: `Run ${script.split('\n')[0]}`, if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: script, shell: null, workingDirectory: null, ...extra };
}

export function makeSpec(repo: Repo, steps: Step[], job: Partial<JobPlan> = {}, extra: Partial<JobSpec> = {}): JobSpec {
  counter++;
  const plan: JobPlan = {
    id: `ci.yml#build-${counter}`,
    workflow: { file: '.github/workflows/ci.yml', name: 'CI' },
    jobKey: 'build',
    name: 'build',
    matrix: null,
    needs: [],
    if: null,
    runsOn: ['local'],
    env: {},
    defaults: { shell: null, workingDirectory: null },
    timeoutMinutes: 10,
    continueOnError: false,
    concurrency: null,
    strategy: { failFast: true, maxParallel: null },
    outputs: {},
    secretNames: [],
    steps,
    ...job,
  };
  return {
    planVersion: PLAN_VERSION,
    runId: `run-${counter}`,
    jobId: `job-${counter}-${Date.now()}`,
    job: plan,
    repository: { fullName: 'acme/widget', cloneUrl: repo.url, sha: repo.sha, ref: 'refs/heads/main' },
    github: { event_name: 'push', sha: repo.sha, ref: 'refs/heads/main', repository: 'acme/widget', actor: 'octocat' },
    needs: {},
    inputs: {},
    vars: {},
    secrets: {},
    ...extra,
  };
}

/** Records everything the service delivers; optional hooks let a test act on events. */
export class RecordingSink implements JobSink {
  readonly started: StepStartedEvent[] = [];
  readonly finishedSteps: StepFinishedEvent[] = [];
  readonly annotations: AnnotationEvent[] = [];
  readonly batches: LogBatch[] = [];
  finished: JobFinishedEvent | null = null;
  lost: string | null = null;
  lineCount = 0;
  keepLines = true;
  onLine: ((line: string, batch: LogBatch) => void) | null = null;
  onLogHook: ((batch: LogBatch) => void | Promise<void>) | null = null;

  onStepStarted(e: StepStartedEvent): void {
    this.started.push(e);
  }
  async onLog(b: LogBatch): Promise<void> {
    this.lineCount += b.lines.length;
    if (this.keepLines) this.batches.push(b);
    if (this.onLine) for (const l of b.lines) this.onLine(l, b);
    if (this.onLogHook) await this.onLogHook(b);
  }
  onStepFinished(e: StepFinishedEvent): void {
    this.finishedSteps.push(e);
  }
  onAnnotation(e: AnnotationEvent): void {
    this.annotations.push(e);
  }
  onFinished(e: JobFinishedEvent): void {
    this.finished = e;
  }
  onLost(reason: string): void {
    this.lost = reason;
  }
  lines(step?: string): string[] {
    return this.batches.filter((b) => step === undefined || b.step === step).flatMap((b) => b.lines);
  }
  step(id: string): StepFinishedEvent {
    const s = this.finishedSteps.find((f) => f.step === id);
    if (!s) throw new Error(`step ${id} did not finish; finished: ${this.finishedSteps.map((f) => f.step).join(', ')}`);
    return s;
  }
  allText(): string {
    return this.lines().join('\n') + '\n' + JSON.stringify(this.annotations) + JSON.stringify(this.finishedSteps) + JSON.stringify(this.finished);
  }
}

export interface AgentProcess {
  child: ChildProcess;
  exit: Promise<number | null>;
  stderr: () => string;
  workDir: string;
  pgidFile: string;
}

const children = new Set<ChildProcess>();

export function startAgent(endpoint: string, token: string, root: string, extraArgs: string[] = [], bundle = AGENT_BUNDLE, extraEnv: Record<string, string> = {}): AgentProcess {
  const workDir = mkdtempSync(join(root, 'agent-'));
  const pgidFile = join(workDir, 'pgids');
  const child = spawn(process.execPath, [bundle, '--endpoint', endpoint, '--token', token, '--workdir', join(workDir, 'work'), '--kill-grace-ms', '300', '--pgid-file', pgidFile, ...extraArgs], {
    cwd: workDir,
    env: { PATH: process.env.PATH, HOME: workDir, LANG: 'C.UTF-8', ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  return { child, exit, stderr: () => err, workDir, pgidFile };
}

/** Kills what a test started, by pid: agents, and the step process groups they recorded. */
export function killLeftovers(pgidFiles: string[] = []): void {
  for (const c of children) if (c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  for (const f of pgidFiles) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const g of text.split('\n').map(Number).filter((n) => n > 1)) try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ }
  }
}

export interface Harness {
  root: string;
  repo: Repo;
  service: AgentService;
  endpoint: string;
  pgidFiles: string[];
  runJob(spec: JobSpec, opts?: { sink?: RecordingSink; agentArgs?: string[]; onStart?: (h: JobHandle, a: AgentProcess, sink: RecordingSink) => void }): Promise<{ sink: RecordingSink; conclusion: JobConclusion; exitCode: number | null; agent: AgentProcess; handle: JobHandle }>;
  close(): Promise<void>;
}

export async function harness(options: AgentServiceOptions = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'helios-agent-test-'));
  const repo = makeRepo(root);
  const service = new AgentService({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 5_000, ...options });
  const { endpoint } = await service.start();
  const pgidFiles: string[] = [];
  return {
    root,
    repo,
    service,
    endpoint,
    pgidFiles,
    async runJob(spec, opts = {}) {
      const sink = opts.sink ?? new RecordingSink();
      const handle = service.registerJob(spec, sink);
      const agent = startAgent(endpoint, handle.token, root, opts.agentArgs ?? []);
      pgidFiles.push(agent.pgidFile);
      opts.onStart?.(handle, agent, sink);
      const conclusion = await handle.done;
      const exitCode = await agent.exit;
      return { sink, conclusion, exitCode, agent, handle };
    },
    async close() {
      killLeftovers(pgidFiles);
      await service.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** True if the pid exists and is not a zombie (the agent's own check). */
export { isAlive as pidAlive } from '../src/process.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
