/** The agent's own git commands: logged under a step, argv only, configuration through the environment. */
import { execFile } from 'node:child_process';
import { describeResult, type JobContext } from './jobContext.js';

/**
 * Runs `git args` in `cwd` as part of `step`, its output in the step's log. `config` becomes
 * GIT_CONFIG_* environment (never argv, never a file). Logs `##[<level>]` and returns false on failure.
 */
export async function runGit(job: JobContext, step: string, cwd: string, args: string[], config: Record<string, string> = {}, level: 'error' | 'warning' = 'error'): Promise<boolean> {
  const r = await job.exec(step, ['git', ...args], cwd, gitEnv(job, config), null);
  if (r.exit !== 0) job.system(step, `##[${level}]git ${args[0]} failed (${describeResult(r)})`);
  return r.exit === 0;
}

/** A quiet local git query (no network, no credential); stdout trimmed, or null when git fails. */
export function gitOutput(job: JobContext, cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: gitEnv(job, {}), encoding: 'utf8', maxBuffer: 1024 * 1024 }, (err, stdout) => resolve(err ? null : stdout.trim()));
  });
}

/**
 * The agent's git talks only to URLs the server chose (the clone URL, the forge), named as the server
 * sees them: `127.0.0.1:3000` is the server host's loopback, which is not the machine's in a sandbox
 * or a VM. So with an egress proxy every such fetch goes through it, loopback included (NO_PROXY is
 * for the steps' own services); the proxy always lets the job's clone origin through.
 */
function gitEnv(job: JobContext, config: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...job.baseEnv, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
  if (job.opts.egress) {
    delete env.NO_PROXY;
    delete env.no_proxy;
  }
  const entries = Object.entries(config);
  entries.forEach(([key, value], n) => {
    env[`GIT_CONFIG_KEY_${n}`] = key;
    env[`GIT_CONFIG_VALUE_${n}`] = value;
  });
  env.GIT_CONFIG_COUNT = String(entries.length);
  return env;
}
