import { PLAN_VERSION, type PlanEvent, type PlanProblem, type RunPlan } from '@helios-ci/sdk';
import { ActionLoader, type ReadFile } from './compositeAction.js';
import type { ReadRemoteFile } from './reusableWorkflow.js';
import type { LoadRemoteAction } from './remoteAction.js';
import { RemoteActionNotes } from './remoteActionNotes.js';
import { parseWorkflow } from './parseWorkflow.js';
import { planWorkflowJobs } from './planWorkflow.js';
import { sortProblems } from './problems.js';
import { unshiftProblems, type ColumnShifts } from './flowIndent.js';
import type { VmactionsConfig } from './vmactionsShim.js';
import { pullRequestTargetProblems, resolveInputs, triggerMatches } from './triggers.js';

export interface WorkflowFile {
  /** Repository path, e.g. `.github/workflows/ci.yml`; used in ids and problem positions. */
  path: string;
  /** The file at the planned commit; bytes are checked for UTF-8. */
  content: string | Uint8Array;
}

export interface PlanRequest {
  files: readonly WorkflowFile[];
  event: PlanEvent;
  /** Every label the configured runtimes serve; runs-on must name only these. */
  labels: readonly string[];
  /** Reads a repository file at the planned commit (local composite actions); null if absent. */
  readFile: ReadFile;
  /**
   * Reads a file of another repository at a ref through the run's forge (remote reusable
   * workflows, `owner/repo/.github/workflows/x.yml@ref`); absent: such calls are problems.
   */
  readRemoteFile?: ReadRemoteFile;
  /**
   * Resolves remote actions (`uses: owner/repo[/path]@ref`) to a commit and reads their action.yml
   * (policy, sources and cache are the host's); absent: such steps are problems (notes, given
   * remoteActionNotes).
   */
  loadRemoteAction?: LoadRemoteAction;
  /**
   * A command's check (`helios plan`): remote actions are noted here, resolved or not; one that
   * loadRemoteAction cannot resolve (or every one, without it) is a note, not a problem, and a
   * resolved action's required inputs must be given. Absent (the server): unresolved is a problem.
   */
  remoteActionNotes?: RemoteActionNotes;
  /** Told before each workflow file is planned (the planning worker reports progress with it). */
  onFile?: (path: string) => void;
  /** helios.yaml `vmactions:`: the image label of each vmactions/<os>-vm release. */
  vmactions?: VmactionsConfig;
}

/** The `github` context fields known before any job runs (others stay unevaluated). */
export function planTimeGithub(event: PlanEvent): Record<string, unknown> {
  const gh: Record<string, unknown> = { event_name: event.name, event: { ...(event.action && { action: event.action }), ...(event.inputs && { inputs: event.inputs }) } };
  if (event.sha) gh.sha = event.sha;
  const short = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, '');
  if (event.name === 'pull_request') {
    // For pull requests GitHub's github.ref is the merge ref, which the event does not carry.
    gh.base_ref = short(event.ref);
    if (event.headRef) gh.head_ref = short(event.headRef);
  } else {
    gh.ref = event.ref;
    gh.ref_name = short(event.ref);
    gh.ref_type = event.ref.startsWith('refs/tags/') ? 'tag' : 'branch';
    gh.head_ref = '';
    gh.base_ref = '';
  }
  return gh;
}

function dedupe(problems: PlanProblem[]): PlanProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.file}:${p.line}:${p.col}:${p.code}:${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/**
 * Plans one event over the workflow files of a commit: every workflow whose `on:` matches
 * contributes its jobs (matrix expanded, runs-on resolved, composite actions inlined). A workflow
 * with any problem contributes problems and no jobs — never half a run.
 */
export async function plan(request: PlanRequest): Promise<RunPlan> {
  const actions = new ActionLoader(request.readFile, request.loadRemoteAction, request.remoteActionNotes ?? null);
  const github = planTimeGithub(request.event);
  const result: RunPlan = { version: PLAN_VERSION, event: request.event, workflows: [], jobs: [], problems: [] };
  const parsedShifts = new Map<string, ColumnShifts>();
  const files = [...request.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of files) {
    request.onFile?.(f.path);
    const w = await parseWorkflow(f.path, f.content);
    if (w.shifts.size) parsedShifts.set(w.file, w.shifts);
    if (w.problems.length || !w.template) {
      result.problems.push(...w.problems);
      continue;
    }
    if (!triggerMatches(w.template.events, request.event)) continue;
    const inputs = resolveInputs(w.file, w.root!, w.template.events, request.event);
    const planned = await planWorkflowJobs(w, { github, inputs: inputs.inputs, labels: request.labels, actions, readFile: request.readFile, ...(request.vmactions && { vmactions: request.vmactions }), ...(request.readRemoteFile && { readRemoteFile: request.readRemoteFile }) });
    // A workflow that also listens to pull_request_target is refused for the events it does listen
    // to (its author expects the target's secrets), and ignored, like any workflow, for the others.
    const problems = dedupe([...pullRequestTargetProblems(w.file, w.root!), ...inputs.problems, ...planned.problems]);
    result.workflows.push({ file: w.file, name: w.name, ...(planned.concurrency && { concurrency: planned.concurrency }) });
    if (problems.length) result.problems.push(...problems);
    else result.jobs.push(...planned.jobs);
  }
  const shifts = new Map(actions.shifts);
  for (const [file, s] of parsedShifts) shifts.set(file, s);
  result.problems = sortProblems(dedupe(unshiftProblems(result.problems, shifts)));
  request.remoteActionNotes?.settle(shifts);
  return result;
}

/** What `helios validate` brings besides the files: the remote actions it can resolve, and where to note them. */
export interface ValidateOptions {
  /** Resolves remote actions (the sources a command can use); absent: none is resolved. */
  loadRemoteAction?: LoadRemoteAction;
  /** Where remote actions are noted, resolved or not (a fresh collector, discarded, when absent). */
  remoteActionNotes?: RemoteActionNotes;
}

/**
 * Every problem of one workflow that does not depend on an event: syntax, GitHub's schema,
 * triggers, needs, matrices, actions (composite ones read through readFile). A remote action is a
 * problem only when it is refused or, once resolved through `options.loadRemoteAction`, its
 * action.yml is (or its required inputs are missing); left unresolved it is a note.
 */
export async function validateWorkflow(file: WorkflowFile, readFile: ReadFile, options: ValidateOptions = {}): Promise<PlanProblem[]> {
  const w = await parseWorkflow(file.path, file.content);
  const notes = options.remoteActionNotes ?? new RemoteActionNotes();
  const actions = new ActionLoader(readFile, options.loadRemoteAction, notes);
  const done = (problems: PlanProblem[]) => {
    const shifts = new Map([...actions.shifts, [w.file, w.shifts]]);
    notes.settle(shifts);
    return sortProblems(dedupe(unshiftProblems(problems, shifts)));
  };
  const triggers = w.root ? pullRequestTargetProblems(w.file, w.root) : [];
  if (w.problems.length || !w.template) return done([...w.problems, ...triggers]);
  // A workflow that only runs when called is checked as a called one: its inputs come from a caller.
  const onlyCalled = Object.keys(w.template.events).every((e) => e === 'workflow_call');
  const defaults = resolveInputs(w.file, w.root!, w.template.events, { name: 'workflow_dispatch', ref: 'refs/heads/main' });
  const planned = await planWorkflowJobs(w, { github: {}, inputs: defaults.inputs, labels: null, actions, readFile, ...(onlyCalled && { inputsUnknown: true }) });
  return done([...triggers, ...planned.problems]);
}
