import { randomUUID } from 'node:crypto';
import { HeliosError } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { LocalRepository } from '../../localRepo/localRepository.js';
import type { RunEventName } from '../run/runSnapshot.js';
import { kernelOptionsFrom } from './configOption.js';

const EVENTS = ['push', 'pull_request', 'workflow_dispatch'] as const;

export const runCommand: Command = {
  path: ['run'],
  summary: "run this repository's workflows locally, through the whole kernel (exit 0 only on success)",
  help: `Usage: helios run [--dirty] [--workflow NAME]... [--job KEY]... [--event push|pull_request|workflow_dispatch]
                  [--input K=V]... [--secret-file FILE] [--artifacts DIR] [--json] [--config FILE]

Plans the workflows of the git repository around the current directory for a local event, then
runs every job the same way a webhook would: store, queue, orchestrator, agent over gRPC, on the
local runtime. Without --config the embedded defaults apply.

Options:
      --dirty             run the working tree (tracked and untracked files) instead of HEAD
      --workflow NAME     only this workflow file (ci.yml, ci, or .github/workflows/ci.yml); repeatable
      --job KEY           only this job (and the jobs it needs); repeatable
      --event NAME        push (default), pull_request or workflow_dispatch
      --input K=V         a workflow_dispatch input; repeatable
      --secret-file FILE  secrets for the run (YAML "secrets:" map, mode 600)
      --artifacts DIR     extract the run's artifacts to DIR/<run>/<name>/ (default ./.helios/artifacts)
      --json              print the final run record (jobs, steps, conclusions, durations, annotations) as JSON
  -c, --config FILE       use this helios.yaml instead of the embedded defaults`,
  options: {
    config: { type: 'string', short: 'c' },
    dirty: { type: 'boolean' },
    workflow: { type: 'string', multiple: true },
    job: { type: 'string', multiple: true },
    event: { type: 'string' },
    input: { type: 'string', multiple: true },
    'secret-file': { type: 'string' },
    artifacts: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const v = args.values as Record<string, string | boolean | string[] | undefined>;
    const eventName = (v.event as string | undefined) ?? 'push';
    if (!(EVENTS as readonly string[]).includes(eventName)) {
      throw new HeliosError('E_USAGE', `--event ${eventName} is not supported; use one of ${EVENTS.join(', ')}`);
    }
    const inputs: Record<string, string> = {};
    for (const pair of (v.input as string[] | undefined) ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new HeliosError('E_USAGE', `--input ${pair} must be KEY=VALUE`);
      inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const repo = await LocalRepository.open(io.cwd);
    const runId = randomUUID();
    const base = kernelOptionsFrom(args, io);
    const json = v.json === true;
    // The commit first: the first line says what runs before the kernel, its plugins and gRPC load
    // (runSnapshot's module and everything it imports load after it).
    const snapshot = v.dirty ? await repo.snapshot(runId) : await repo.head(runId);
    (json ? io.stderr : io.stdout).write(`helios run: ${repo.name} ${v.dirty ? 'working tree' : 'HEAD'} ${snapshot.sha.slice(0, 12)} (${snapshot.ref}), event ${eventName}\n`);
    let runSnapshot: typeof import('../run/runSnapshot.js').runSnapshot;
    try {
      ({ runSnapshot } = await import('../run/runSnapshot.js'));
    } catch (err) {
      await repo.release(snapshot);
      throw err;
    }
    return runSnapshot({ args, io, base, repo, snapshot, runId, eventName: eventName as RunEventName, inputs, json });
  },
};
