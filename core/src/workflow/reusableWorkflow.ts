import type { JobPlan, PlanProblem } from '@helios-ci/sdk';
import { checkWorkflowCall, type ReusableWorkflowJob, type TemplateToken } from './vendor/workflowParser.js';
import { FileRefusedError, type ReadFile } from './compositeAction.js';
import { analyse, evaluateTemplate, hasExpression, type PlanContexts } from './expressions.js';
import { parseWorkflow, validationProblems, type ParsedWorkflow } from './parseWorkflow.js';
import { problem, ProblemCode } from './problems.js';
import { at, entries, field, keyToken } from './tokens.js';
import { callStrategy } from './callStrategy.js';
import { concurrencyOf } from './concurrency.js';
import type { WorkflowPlanOptions, WorkflowPlanResult } from './planWorkflow.js';

/** GitHub.com: the top-level caller and up to nine levels of called workflows. */
export const MAX_WORKFLOW_LEVELS = 10;
/** GitHub.com: unique reusable workflows one top-level workflow may call, nested calls included. */
export const MAX_UNIQUE_CALLED_WORKFLOWS = 50;

/** Reads a file of another repository at a ref through the run's forge; null when absent or unreadable. */
export type ReadRemoteFile = (repo: { owner: string; name: string }, ref: string, path: string) => Promise<string | Uint8Array | null>;

/** Where `./` references resolve: the planned commit, or the repository and ref a called workflow came from. */
export type CallSource = { kind: 'local' } | { kind: 'remote'; owner: string; name: string; ref: string };

/** What a workflow being planned knows about the calls above it. */
export interface CallState {
  /** Called workflows above this one, outermost first (identifiers as in problems). */
  chain: string[];
  /** Unique called workflows since the top-level file (GitHub's limit counts nested ones). */
  unique: Set<string>;
  source: CallSource;
}

type Reference = { kind: 'local'; path: string } | { kind: 'remote'; owner: string; name: string; path: string; ref: string };

const LOCAL = /^\.\/(\.github\/workflows\/[^/]+\.ya?ml)$/;
const REMOTE = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/(\.github\/workflows\/[^/@]+\.ya?ml)@([^\s@]+)$/;
function parseReference(uses: string): Reference | string {
  const local = LOCAL.exec(uses);
  if (local) return { kind: 'local', path: local[1]! };
  const remote = REMOTE.exec(uses);
  if (remote) return { kind: 'remote', owner: remote[1]!, name: remote[2]!, path: remote[3]!, ref: remote[4]! };
  if (uses.startsWith('./') && uses.includes('@')) return `${uses}: a local reusable workflow takes no @ref (it is read at the same commit); write ./.github/workflows/<file>.yml`;
  return `${uses} is not a reusable workflow reference; write ./.github/workflows/<file>.yml (same commit) or <owner>/<repo>/.github/workflows/<file>.yml@<ref>`;
}

/** How problems and identifiers name a called workflow. */
function identifier(ref: Reference, source: CallSource): string {
  if (ref.kind === 'remote') return `${ref.owner}/${ref.name}/${ref.path}@${ref.ref}`;
  return source.kind === 'remote' ? `${source.owner}/${source.name}/${ref.path}@${source.ref}` : ref.path;
}

/** GitHub's coercion of a `with:` value to the declared input type; a string when it cannot be. */
function coerceInput(type: string, value: unknown): { ok: true; value: string | number | boolean } | { ok: false; why: string } {
  if (type === 'boolean') {
    if (typeof value === 'boolean') return { ok: true, value };
    if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
    return { ok: false, why: `is a boolean; give true or false, not ${JSON.stringify(value)}` };
  }
  if (type === 'number') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, why: `is a number; got ${JSON.stringify(value)}` };
  }
  if (value === null || value === undefined) return { ok: true, value: '' };
  return { ok: true, value: typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value) };
}

/** `if:` as a condition that needs no implicit success(): GitHub adds success() when no status function is named. */
function explicitCondition(condition: string | null): string {
  if (condition === null || condition.trim() === '') return 'success()';
  let body = condition.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(body);
  if (wrapped) body = wrapped[1]!.trim();
  return /\b(success|failure|always|cancelled)\s*\(/i.test(body) ? `(${body})` : `success() && (${body})`;
}

export interface CallRequest {
  /** The calling workflow and job. */
  w: ParsedWorkflow;
  jobKey: string;
  token: TemplateToken;
  /** Contexts of the calling workflow at plan time. */
  base: PlanContexts;
  opts: WorkflowPlanOptions;
  /** Plans the called workflow's jobs (planWorkflowJobs, passed in to keep the modules acyclic). */
  planJobs: (w: ParsedWorkflow, opts: WorkflowPlanOptions) => Promise<WorkflowPlanResult>;
}

/**
 * A job that calls a reusable workflow (`jobs.<id>.uses`), planned as GitHub runs it: the called
 * workflow's jobs join the run as `<id>/<job>` named `<caller name> / <job name>`, with the inputs
 * the call passes (typed, defaults filled in), the secrets it passes (named or `inherit`), the
 * caller's `needs` and `if:` on its first jobs, and `needs.<id>.outputs` from the called workflow's
 * `on.workflow_call.outputs`. Everything wrong becomes a problem of the run.
 */
export async function planWorkflowCall(req: CallRequest): Promise<{ jobs: JobPlan[]; problems: PlanProblem[] }> {
  const { w, jobKey, token: t, base, opts } = req;
  const problems: PlanProblem[] = [];
  const where = `job "${jobKey}": `;
  const usesToken = field(t, 'uses');
  const uses = w.reader.text(usesToken) ?? '';
  const fail = (message: string, tok: TemplateToken | undefined = usesToken, code: string = ProblemCode.unsupported) => {
    problems.push(problem(w.file, code, `${where}${message}`, at(tok)));
    return { jobs: [], problems };
  };
  const call: CallState = opts.call ?? { chain: [], unique: new Set(), source: { kind: 'local' } };
  const ref = parseReference(uses);
  if (typeof ref === 'string') return fail(ref, usesToken, ProblemCode.action);
  const id = identifier(ref, call.source);
  if (call.chain.includes(id)) return fail(`${uses} calls itself through ${[...call.chain, id].join(' → ')}; break the cycle`);
  if (call.chain.length + 2 > MAX_WORKFLOW_LEVELS) {
    return fail(`${uses} would be level ${call.chain.length + 2} of nested workflows (${[...call.chain, id].join(' → ')}); GitHub and Helios connect at most ${MAX_WORKFLOW_LEVELS} levels (the caller and ${MAX_WORKFLOW_LEVELS - 1} called workflows). Flatten the chain`);
  }
  call.unique.add(id);
  if (call.unique.size > MAX_UNIQUE_CALLED_WORKFLOWS) {
    return fail(`calling ${uses} makes ${call.unique.size} unique reusable workflows called from this workflow, nested calls included; GitHub and Helios allow at most ${MAX_UNIQUE_CALLED_WORKFLOWS}. Merge some of them`);
  }

  // Read the called workflow: the planned commit for ./ references (or, inside a remote workflow,
  // its repository at its ref), the forge for owner/repo references.
  const remote = ref.kind === 'remote' ? ref : call.source.kind === 'remote' ? { ...call.source, path: ref.path } : null;
  let content: string | Uint8Array | null;
  try {
    if (remote) {
      if (!opts.readRemoteFile) {
        if (opts.labels === null) return { jobs: [], problems }; // validate reads no other repository
        return fail(`${uses} is in another repository, which Helios reads through the forge of a run; this plan has no forge (a local repository). Run it through the forge, or copy the workflow into this repository and call ./${ref.path}`);
      }
      content = await opts.readRemoteFile({ owner: remote.owner, name: remote.name }, remote.ref, remote.path);
    } else {
      if (!opts.readFile) return { jobs: [], problems };
      content = await opts.readFile(ref.path);
    }
  } catch (err) {
    if (err instanceof FileRefusedError) {
      problems.push(problem(err.path, ProblemCode.symlink, err.message));
      return { jobs: [], problems };
    }
    throw err;
  }
  if (content === null) {
    return fail(remote
      ? `${uses}: ${remote.owner}/${remote.name} has no ${remote.path} at ${remote.ref}, or the forge's credentials cannot read that repository. Check the owner, repository, path and ref`
      : `${uses}: there is no ${ref.path} at this commit; add it or fix the path (relative to the repository root)`, usesToken, ProblemCode.action);
  }
  const called = await parseWorkflow(id, content);
  if (called.problems.length || !called.template || !called.root) {
    problems.push(...called.problems);
    return { jobs: [], problems };
  }

  // GitHub's own checks of the call (workflow_call present, required/undefined inputs and secrets).
  const callerJob = (w.template?.jobs ?? []).find((j) => j.id.value === jobKey && j.type === 'reusableWorkflowJob') as ReusableWorkflowJob | undefined;
  if (callerJob) {
    const errors = checkWorkflowCall(called.root, callerJob);
    if (errors.length) {
      for (const p of validationProblems(w.file, errors)) {
        const message = p.message === 'workflow_call key is not defined in the referenced workflow.'
          ? `${uses} is not a reusable workflow: its on: has no workflow_call. Add on: workflow_call (with its inputs, secrets and outputs) to ${ref.path}`
          : p.message;
        problems.push({ ...p, message: `${where}${message}`, code: ProblemCode.input });
      }
      return { jobs: [], problems };
    }
  }

  const workflowCall = field(field(called.root, 'on'), 'workflow_call');
  const secrets = callSecrets(req, problems);
  if (field(called.root, 'concurrency')) {
    problems.push(problem(called.file, ProblemCode.unsupported, 'concurrency in a called workflow is not supported; set concurrency on its jobs', at(keyToken(called.root, 'concurrency'))));
  }
  const strategy = callStrategy(w, jobKey, field(t, 'strategy'), base, problems, opts.labels === null);
  if (!strategy) return { jobs: [], problems };

  const outputs: Record<string, string> = {};
  for (const { key, value } of entries(field(workflowCall, 'outputs'))) outputs[key] = called.reader.text(field(value, 'value')) ?? '';
  const callerName = w.reader.text(field(t, 'name'));
  const callerNeeds = (w.reader.json(field(t, 'needs')) ?? []) as string | string[];
  const needs = typeof callerNeeds === 'string' ? [callerNeeds] : callerNeeds;
  const callerIf = w.reader.text(field(t, 'if')) ?? null;
  if (callerIf !== null && readsInputs(callerIf)) {
    problems.push(problem(w.file, ProblemCode.unsupported, `${where}an if: that reads inputs on a job that calls a reusable workflow is not supported (the called jobs see the call's inputs); compute the condition in an earlier job and read needs.<job>.outputs`, at(field(t, 'if'))));
    return { jobs: [], problems };
  }

  const jobs: JobPlan[] = [];
  // One call per matrix combination (GitHub: each is a job of the caller's matrix); without a
  // matrix, one call with the caller's key.
  for (const combination of strategy.combinations) {
    const ctx: PlanContexts = combination.matrix ? { ...base, matrix: combination.matrix, strategy: combination.strategy } : base;
    const unknownInputs = { value: false };
    const inputs = callInputs({ ...req, base: ctx }, workflowCall, called, problems, unknownInputs);
    // GitHub: the calling job's group holds the whole call (its jobs together), per combination.
    const concurrency = concurrencyOf(field(t, 'concurrency'), w, ctx, where, problems);
    if (problems.length || !inputs || !secrets) return { jobs: [], problems };
    const planned = await req.planJobs(called, {
      ...opts,
      github: base.github,
      inputs,
      inputsUnknown: unknownInputs.value,
      call: { chain: [...call.chain, id], unique: call.unique, source: remote ? { kind: 'remote', owner: remote.owner, name: remote.name, ref: remote.ref } : call.source },
    });
    problems.push(...planned.problems);
    if (planned.problems.length) return { jobs: [], problems };
    const evaluatedName = callerName !== undefined ? evaluateTemplate(callerName, ctx) : null;
    let shownName = evaluatedName ? String(evaluatedName.value) : (callerName ?? jobKey);
    // As for matrix jobs: the values are appended unless the written name shows them already.
    if (combination.label && !(callerName && /\bmatrix\b/.test(callerName))) shownName = `${shownName} (${combination.label})`;
    const prefix = combination.label ? `${jobKey} (${combination.label})` : jobKey;
    const entry = {
      caller: prefix,
      outputs,
      ...(combination.matrix && { matrixOf: jobKey, failFast: strategy.failFast, maxParallel: strategy.maxParallel }),
      ...(concurrency && { concurrency }),
    };
    jobs.push(...renameCalledJobs(planned.jobs, { file: w.file, name: w.name, prefix, shownName, needs, callerIf, secrets, inputs, entry }));
  }
  return { jobs, problems };
}

interface CalledJobsRename {
  file: string;
  name: string;
  /** The caller's key, with ` (<matrix values>)` for one call of a matrix of calls. */
  prefix: string;
  shownName: string;
  needs: string[];
  callerIf: string | null;
  secrets: Record<string, string> | 'inherit';
  inputs: Record<string, string | number | boolean>;
  entry: NonNullable<JobPlan['workflowCalls']>[number];
}

/** The called workflow's jobs as jobs of the calling workflow, under the call's prefix. */
function renameCalledJobs(planned: JobPlan[], r: CalledJobsRename): JobPlan[] {
  const { prefix, secrets, callerIf } = r;
  return planned.map((job): JobPlan => {
    const root = job.needs.length === 0;
    const sources = job.secretSources ?? Object.fromEntries(job.secretNames.map((n) => [n, n]));
    const mapped: Record<string, string> = {};
    for (const [name, from] of Object.entries(sources)) {
      const backend = secrets === 'inherit' ? from : secrets[from.toUpperCase()];
      if (backend) mapped[name] = backend;
    }
    return {
      ...job,
      id: `${r.file}#${prefix}/${job.id.slice(job.id.indexOf('#') + 1)}`,
      workflow: { file: r.file, name: r.name },
      jobKey: `${prefix}/${job.jobKey}`,
      name: `${r.shownName} / ${job.name}`,
      needs: root ? [...r.needs] : job.needs.map((n) => `${prefix}/${n}`),
      if: root && callerIf !== null ? `\${{ ${explicitCondition(callerIf)} && ${explicitCondition(job.if)} }}` : job.if,
      inputs: job.inputs ?? r.inputs,
      workflowCalls: [r.entry, ...(job.workflowCalls ?? []).map((c) => ({ ...c, caller: `${prefix}/${c.caller}`, ...(c.matrixOf !== undefined && { matrixOf: `${prefix}/${c.matrixOf}` }) }))],
      secretNames: Object.keys(mapped).sort(),
      secretSources: mapped,
    };
  });
}

function readsInputs(condition: string): boolean {
  const bodies = hasExpression(condition) ? [...condition.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!) : [condition];
  return bodies.some((b) => {
    try {
      return analyse(b).contexts.has('inputs');
    } catch {
      return false;
    }
  });
}

/** The called workflow's `inputs` context: `with:` values evaluated now and typed, defaults filled in. */
function callInputs(req: CallRequest, workflowCall: TemplateToken | undefined, called: ParsedWorkflow, problems: PlanProblem[], unknown: { value: boolean }): Record<string, string | number | boolean> | null {
  const { w, token: t, base, jobKey } = req;
  const where = `job "${jobKey}": `;
  const withToken = field(t, 'with');
  const given = new Map(entries(withToken).map((e) => [e.key.toLowerCase(), e]));
  const out: Record<string, string | number | boolean> = {};
  let ok = true;
  for (const { key: name, value: def } of entries(field(workflowCall, 'inputs'))) {
    const type = called.reader.text(field(def, 'type')) ?? 'string';
    const passed = given.get(name.toLowerCase());
    let raw: unknown;
    if (passed) {
      const written = w.reader.json(passed.value);
      const evaluated = typeof written === 'string' ? evaluateTemplate(written, base) : { value: written };
      if (!evaluated && req.opts.labels === null && req.opts.inputsUnknown) {
        // validate of a workflow that is itself only called: its own inputs are unknown, so are these.
        unknown.value = true;
        out[name] = '';
        continue;
      }
      if (!evaluated) {
        problems.push(problem(w.file, ProblemCode.input, `${where}with.${passed.key} reads values that exist only once jobs run (needs outputs, steps, ...); Helios passes a called workflow's inputs when it plans the run. Use literal values, inputs or github values`, at(passed.value)));
        ok = false;
        continue;
      }
      raw = evaluated.value;
    } else {
      const writtenDefault = called.reader.json(field(def, 'default'));
      const evaluated = typeof writtenDefault === 'string' ? evaluateTemplate(writtenDefault, base) : { value: writtenDefault };
      raw = evaluated ? evaluated.value : writtenDefault;
      // GitHub's values of an optional input without a default.
      if (raw === null || raw === undefined) raw = type === 'boolean' ? false : type === 'number' ? 0 : '';
    }
    const coerced = coerceInput(type, raw);
    if (!coerced.ok) {
      problems.push(problem(w.file, ProblemCode.input, `${where}input "${name}" of ${called.file} ${coerced.why}`, at(passed?.value ?? field(t, 'uses'))));
      ok = false;
      continue;
    }
    out[name] = coerced.value;
  }
  return ok ? out : null;
}

/** Called-workflow secret name (upper case) → name in the caller's secrets, or `inherit`. */
function callSecrets(req: CallRequest, problems: PlanProblem[]): Record<string, string> | 'inherit' | null {
  const { w, token: t, jobKey } = req;
  const secretsToken = field(t, 'secrets');
  if (!secretsToken) return {};
  const text = w.reader.text(secretsToken);
  if (text === 'inherit') return 'inherit';
  const out: Record<string, string> = {};
  for (const { key, value } of entries(secretsToken)) {
    const written = w.reader.text(value) ?? '';
    const m = /^\s*\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/.exec(written);
    if (!m) {
      problems.push(problem(w.file, ProblemCode.input, `job "${jobKey}": secrets.${key} must pass one secret as \${{ secrets.NAME }}; Helios resolves secrets by name when the job starts, so other values cannot be passed as secrets (use with: for values that are not secret)`, at(value)));
      return null;
    }
    out[key.toUpperCase()] = m[1]!;
  }
  return out;
}
