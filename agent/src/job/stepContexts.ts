/**
 * What a step sees: the expression contexts (`github`, `env`, `steps`, `runner`, …) and the process
 * environment, both layered workflow → job → GITHUB_ENV → composite → step.
 */
import { arch, hostname, platform } from 'node:os';
import { delimiter } from 'node:path';
import type { ActionsRuntimeAccess } from '@helios-ci/sdk';
import type { EvalScope } from '../expressions.js';
import type { Frame } from './frame.js';
import type { JobContext } from './jobContext.js';

export function expressionScope(job: JobContext, frame: Frame, stepEnv: Record<string, string>): EvalScope {
  const s = job.spec;
  const github = {
    ...s.github,
    workspace: job.workspace,
    sha: s.repository.sha,
    ref: s.repository.ref,
    repository: s.repository.fullName,
    // A called workflow's job is `caller/key`; github.job and GITHUB_JOB are its own key, as on GitHub.
    job: ownJobKey(s.job.jobKey),
    run_id: s.runId,
    action_path: frame.actionPath ?? '',
    ...(frame.action ? { action_repository: frame.action.repo, action_ref: frame.action.ref } : {}),
  };
  return {
    contexts: {
      github,
      env: { ...job.jobEnv, ...job.addedEnv, ...frame.env, ...stepEnv },
      vars: s.vars,
      secrets: s.secrets,
      matrix: s.job.matrix ?? {},
      needs: s.needs,
      steps: frame.steps,
      job: { status: job.cancelled ? 'cancelled' : frame.status, container: {}, services: {} },
      runner: runnerContext(job),
      inputs: frame.inputs,
      strategy: { 'fail-fast': s.job.strategy.failFast, 'max-parallel': s.job.strategy.maxParallel ?? 1 },
    },
    status: frame.status,
    cancelled: job.cancelled,
    workspace: job.workspace,
  };
}

export function runnerContext(job: JobContext): Record<string, string> {
  const os = platform() === 'linux' ? 'Linux' : platform() === 'darwin' ? 'macOS' : platform() === 'sunos' ? 'illumos' : platform();
  const a = arch() === 'x64' ? 'X64' : arch() === 'arm64' ? 'ARM64' : arch().toUpperCase();
  return { os, arch: a, name: hostname(), temp: job.temp, tool_cache: job.toolCache, environment: 'self-hosted' };
}

/** The environment of a step's process; `files` are the GITHUB_ENV/OUTPUT/… paths. */
export function processEnv(job: JobContext, frame: Frame, stepEnv: Record<string, string>, files: Record<string, string>): NodeJS.ProcessEnv {
  const s = job.spec;
  const runner = runnerContext(job);
  const env: NodeJS.ProcessEnv = {
    ...job.baseEnv,
    // Before the workflow's env, which may point the toolkit elsewhere, as on GitHub.
    ...actionsRuntimeEnv(s.actionsRuntime),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    HELIOS_CI: 'true',
    GITHUB_WORKSPACE: job.workspace,
    GITHUB_SHA: s.repository.sha,
    GITHUB_REF: s.repository.ref,
    GITHUB_REPOSITORY: s.repository.fullName,
    GITHUB_RUN_ID: s.runId,
    GITHUB_JOB: ownJobKey(s.job.jobKey),
    GITHUB_EVENT_NAME: String(s.github.event_name ?? ''),
    RUNNER_TEMP: job.temp,
    RUNNER_OS: runner.os,
    RUNNER_ARCH: runner.arch,
    RUNNER_NAME: runner.name,
    RUNNER_TOOL_CACHE: job.toolCache,
    RUNNER_ENVIRONMENT: 'self-hosted',
    // The job's forge token (github.token), when the server minted one: trusted runs whose permissions allow.
    ...(typeof s.github.token === 'string' && s.github.token ? { GITHUB_TOKEN: s.github.token } : {}),
    ...(frame.action ? { GITHUB_ACTION_REPOSITORY: frame.action.repo, GITHUB_ACTION_REF: frame.action.ref } : {}),
    ...job.jobEnv,
    ...job.addedEnv,
    ...frame.env,
    ...stepEnv,
    ...files,
  };
  if (frame.actionPath) env.GITHUB_ACTION_PATH = frame.actionPath;
  if (job.addedPath.length > 0) env.PATH = [...job.addedPath, env.PATH ?? ''].filter(Boolean).join(delimiter);
  return env;
}

function ownJobKey(jobKey: string): string {
  return jobKey.slice(jobKey.lastIndexOf('/') + 1);
}

/** The actions runtime services' env (ACTIONS_RESULTS_URL, ACTIONS_CACHE_URL, ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_SERVICE_V2). */
export function actionsRuntimeEnv(access: ActionsRuntimeAccess | undefined): Record<string, string> {
  if (!access) return {};
  return {
    ACTIONS_RESULTS_URL: access.resultsUrl,
    ACTIONS_CACHE_URL: access.cacheUrl,
    ACTIONS_RUNTIME_TOKEN: access.token,
    ...(access.cacheServiceV2 ? { ACTIONS_CACHE_SERVICE_V2: 'True' } : {}),
  };
}
