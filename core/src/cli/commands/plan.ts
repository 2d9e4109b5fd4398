import { HeliosError, type PlanEvent } from '@helios-ci/sdk';
import { RuntimeToken } from '@helios-ci/sdk';
import type { CliIO, Command, ParsedArgs } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';
import { discoverWorkflowFiles, formatProblem, plan, readWorkflowFiles, RemoteActionNotes, repoRoot, sortProblems, WORKFLOW_DIRS, workingTreeReader } from '../../workflow/index.js';
import { remoteActionLine, withCommandLineActions } from './remoteActionOutput.js';

const EVENTS = ['push', 'pull_request', 'workflow_dispatch'] as const;

export const planCommand: Command = {
  path: ['plan'],
  summary: 'show the jobs an event would run: matrix values, needs, runs-on',
  help: `Usage: helios plan [--event push] [--ref refs/heads/main] [--changed PATH...] [--input k=v...]
                   [--labels a,b] [--json]

Plans the workflows in ${WORKFLOW_DIRS.join(' and ')} of the repository containing the current
directory, for one event, as the server would: triggers and their filters, matrix expansion,
needs, runs-on checked against runtime labels, local composite actions expanded.

Options:
  --event NAME      push (default), pull_request or workflow_dispatch
  --ref REF         full ref; for pull_request the base branch (default refs/heads/main)
  --head-ref REF    pull_request: the head branch
  --action TYPE     pull_request activity type (opened, synchronize, ...)
  --changed PATH    a changed file, for paths filters (repeatable; none given = unknown, filters match)
  --input K=V       a workflow_dispatch input (repeatable)
  --labels A,B      labels the runtimes serve. Default: the labels of the runtimes configured in
                    helios.yaml (--config, ./helios.yaml, $HELIOS_CONFIG, or the embedded defaults)
${CONFIG_HELP}
  --json            print the RunPlan as JSON, with "remoteActions": [{file, line, col, uses,
                    resolved, sha | why}]

Remote actions (uses: owner/repo[/path]@ref) are resolved through the { type: dir } sources in
actions.sources of helios.yaml, as helios validate does; one only a forge source could serve is
left unresolved (a note; its step is left out of the plan shown, its inputs are not checked).

Exit 1 if any workflow has a problem.`,
  options: {
    event: { type: 'string' },
    ref: { type: 'string' },
    'head-ref': { type: 'string' },
    action: { type: 'string' },
    changed: { type: 'string', multiple: true },
    input: { type: 'string', multiple: true },
    labels: { type: 'string' },
    json: { type: 'boolean' },
    ...configOption,
  },
  async run(args, io) {
    const v = args.values;
    const name = (v.event as string | undefined) ?? 'push';
    if (!(EVENTS as readonly string[]).includes(name)) {
      throw new HeliosError('E_USAGE', `--event ${name} is not supported; use one of ${EVENTS.join(', ')}`);
    }
    const inputs: Record<string, string> = {};
    for (const kv of (v.input as string[] | undefined) ?? []) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new HeliosError('E_USAGE', `--input ${kv} must be KEY=VALUE`);
      inputs[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const event: PlanEvent = {
      name: name as PlanEvent['name'],
      ref: (v.ref as string | undefined) ?? 'refs/heads/main',
      ...(v['head-ref'] !== undefined && { headRef: v['head-ref'] as string }),
      ...(v.action !== undefined && { action: v.action as string }),
      ...(v.changed !== undefined && { changedFiles: v.changed as string[] }),
      ...(Object.keys(inputs).length && { inputs }),
    };
    const labels = v.labels !== undefined ? (v.labels as string).split(',').map((l) => l.trim()).filter(Boolean) : await configuredLabels(args, io);
    const root = repoRoot(io.cwd);
    const paths = await discoverWorkflowFiles(WORKFLOW_DIRS, root);
    if (paths.length === 0) throw new HeliosError('E_WORKFLOW_NONE', `no workflow files in ${WORKFLOW_DIRS.join(' or ')} under ${root}`);
    // Symlinks out of the repository are refused unread (a problem naming the path, never the target's text).
    const readable = await readWorkflowFiles(root, paths);
    const notes = new RemoteActionNotes();
    const planned = await withCommandLineActions(args, io, (actions) =>
      plan({ files: readable.files, event, labels, readFile: workingTreeReader(root), loadRemoteAction: actions.load, remoteActionNotes: notes }),
    );
    const remoteActions = notes.list();
    const result = { ...planned, problems: sortProblems([...readable.problems, ...planned.problems]) };
    if (v.json) {
      io.stdout.write(`${JSON.stringify({ ...result, remoteActions })}\n`);
    } else {
      for (const w of result.workflows) {
        io.stdout.write(`${w.name} (${w.file})\n`);
        for (const j of result.jobs.filter((job) => job.workflow.file === w.file)) {
          const parts = [`runs-on: ${j.runsOn.join(', ')}`, `needs: ${j.needs.length ? j.needs.join(', ') : '-'}`];
          if (j.matrix) parts.push(`matrix: ${JSON.stringify(j.matrix)}`);
          if (j.if) parts.push(`if: ${j.if}`);
          io.stdout.write(`  ${j.name}  [${parts.join('; ')}]\n`);
        }
      }
      if (result.workflows.length === 0) io.stdout.write(`no workflow runs for ${event.name} ${event.ref}\n`);
      for (const n of remoteActions) io.stdout.write(`${remoteActionLine(n)}\n`);
      for (const p of result.problems) io.stdout.write(`${formatProblem(p)}\n`);
    }
    return result.problems.length ? 1 : 0;
  },
};

/** What the configured runtimes serve: the labels the server would accept for runs-on. */
async function configuredLabels(args: ParsedArgs, io: CliIO): Promise<string[]> {
  const kernel = await Kernel.create({ ...kernelOptionsFrom(args, io), logSink: new MemoryLogSink() });
  return [...new Set(kernel.resolveAll(RuntimeToken).flatMap((r) => r.labels))];
}
