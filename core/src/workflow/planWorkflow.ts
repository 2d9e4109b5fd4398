import type { JobPlan, PlanProblem } from '@helios-ci/sdk';
import { isBoolean, isMapping, type TemplateToken } from './vendor/workflowParser.js';
import type { ActionLoader, ReadFile } from './compositeAction.js';
import { planWorkflowCall, type CallState, type ReadRemoteFile } from './reusableWorkflow.js';
import { permissionsField, permissionsOf } from './permissions.js';
import { evaluateTemplate, secretNamesIn, type PlanContexts } from './expressions.js';
import { evaluateDeep, expandMatrix, matrixLabel, type MatrixValues } from './matrix.js';
import { topologicalOrder } from './needsGraph.js';
import type { ParsedWorkflow } from './parseWorkflow.js';
import { problem, ProblemCode } from './problems.js';
import { resolveRunsOn } from './runsOn.js';
import { planNumber, planSteps, TIMEOUT_RANGE } from './steps.js';
import { readsRuntimeValues } from './dynamicValues.js';
import { jobEnvironment } from './environment.js';
import { concurrencyOf } from './concurrency.js';
import { at, entries, field, keyToken } from './tokens.js';
import { vmactionsTarget, type VmactionsConfig } from './vmactionsShim.js';

/** GitHub's default job timeout. */
export const DEFAULT_TIMEOUT_MINUTES = 360;

/** Job keys GitHub accepts that Helios cannot honour; refused rather than silently ignored. */
const UNSUPPORTED_JOB_KEYS: Record<string, string> = {
  container: 'container jobs are not supported; run the steps directly on a runtime (runs-on)',
  services: 'service containers are not supported; start what the job needs in a step',
};

export interface WorkflowPlanOptions {
  github: Record<string, unknown>;
  inputs: Record<string, unknown>;
  /** The workflow only runs when called and is being validated: its inputs are not known. */
  inputsUnknown?: boolean;
  /** Labels configured runtimes serve; null when only validating (no configuration to check against). */
  labels: readonly string[] | null;
  actions: ActionLoader;
  /** Reads a file at the planned commit (local reusable workflows); absent: they are not read. */
  readFile?: ReadFile;
  /** Reads a file of another repository through the run's forge (remote reusable workflows). */
  readRemoteFile?: ReadRemoteFile;
  /** Set while planning a called workflow: the calls above it. */
  call?: CallState;
  /** helios.yaml `vmactions:` (release → label); absent when validating without a configuration. */
  vmactions?: VmactionsConfig;
}

export interface WorkflowPlanResult {
  jobs: JobPlan[];
  problems: PlanProblem[];
  concurrency: { group: string; cancelInProgress: boolean } | null;
}

function runDefaults(token: TemplateToken | undefined, w: ParsedWorkflow): { shell?: string; workingDirectory?: string } {
  const run = field(field(token, 'defaults'), 'run');
  const shell = w.reader.text(field(run, 'shell'));
  const workingDirectory = w.reader.text(field(run, 'working-directory'));
  return { ...(shell !== undefined && { shell }), ...(workingDirectory !== undefined && { workingDirectory }) };
}

function collectSecrets(value: unknown, key: string, into: Set<string>): void {
  if (typeof value === 'string') {
    for (const s of secretNamesIn(value, key === 'if')) into.add(s);
  } else if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, '', into);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, k, into);
  }
}

/** Plans every job of a workflow whose trigger matched (or, with labels null, checks them for `validate`). */
export async function planWorkflowJobs(w: ParsedWorkflow, opts: WorkflowPlanOptions): Promise<WorkflowPlanResult> {
  const root = w.root!;
  const problems: PlanProblem[] = [];
  const validating = opts.labels === null;
  // In a called workflow github.workflow stays the caller's name, as on GitHub.
  const base: PlanContexts = { github: { ...opts.github, workflow: opts.call ? opts.github.workflow : w.name }, inputs: opts.inputs, ...(opts.inputsUnknown && { inputsUnknown: true }) };
  const workflowEnv = w.reader.stringMap(field(root, 'env'));
  const workflowPermissions = permissionsOf(w.reader.json(field(root, 'permissions')));
  const workflowDefaults = runDefaults(root, w);
  const concurrency = concurrencyOf(field(root, 'concurrency'), w, base, '', problems);
  const jobsToken = field(root, 'jobs');
  const jobTokens = entries(jobsToken).map(({ key, keyToken: kt, value }) => ({
    key,
    keyToken: kt,
    token: value,
    needs: (w.reader.json(field(value, 'needs')) ?? []) as string | string[],
  }));
  const ordered = topologicalOrder(jobTokens.map((j) => ({ ...j, needs: typeof j.needs === 'string' ? [j.needs] : j.needs })));
  const jobs: JobPlan[] = [];

  for (const job of ordered) {
    const t = job.token;
    const where = `job "${job.key}": `;
    // A job-level problem keeps the job out of the run, but its steps are still checked, so a user
    // sees every problem in one pass.
    if (field(t, 'uses') !== undefined) {
      const called = await planWorkflowCall({ w, jobKey: job.key, token: t, base, opts, planJobs: planWorkflowJobs });
      problems.push(...called.problems);
      jobs.push(...called.jobs);
      continue;
    }
    let broken = false;
    for (const [key, why] of Object.entries(UNSUPPORTED_JOB_KEYS)) {
      if (field(t, key) !== undefined) {
        problems.push(problem(w.file, ProblemCode.unsupported, `${where}${why}`, at(keyToken(t, key))));
        broken = true;
      }
    }

    // Strategy: matrix, fail-fast, max-parallel.
    const strategy = field(t, 'strategy');
    let combinations: Array<MatrixValues | null> = [null];
    let emptyMatrix = false;
    const matrixToken = field(strategy, 'matrix');
    if (matrixToken) {
      const written = w.reader.json(matrixToken);
      const evaluated = evaluateDeep(written, base);
      if (!evaluated) {
        // validate has no event: github values are unknown there, but reading needs/vars/... is what plan refuses.
        if (!validating || readsRuntimeValues(written)) problems.push(problem(w.file, ProblemCode.matrix, `${where}strategy.matrix reads values that exist only once jobs run (needs outputs, vars, ...); Helios expands the matrix when it plans the run. Use literal values, inputs or github values`, at(matrixToken)));
        broken = true;
      } else {
        const expanded = expandMatrix(evaluated.value);
        if (!expanded.ok) {
          problems.push(problem(w.file, ProblemCode.matrix, `${where}${expanded.message}`, at(matrixToken)));
          broken = true;
        } else if (expanded.combinations.length === 0) {
          // GitHub runs a job whose exclude removes every combination once, with a null matrix
          // (WorkflowTemplateEvaluator.EvaluateStrategy: job-index 0, job-total 1, max-parallel 1).
          emptyMatrix = true;
        } else combinations = expanded.combinations;
      }
    }
    if (broken) {
      await planSteps(field(t, 'steps'), { file: w.file, workflowName: w.name, jobKey: job.key, reader: w.reader, ctx: { ...base, matrix: null }, actions: opts.actions, problems, chain: [] });
      continue;
    }
    const ff = field(strategy, 'fail-fast');
    let failFast = true;
    if (ff) {
      const r = isBoolean(ff) ? { value: ff.value } : evaluateTemplate(w.reader.text(ff) ?? '', base);
      if (r && typeof r.value === 'boolean') failFast = r.value;
      else problems.push(problem(w.file, ProblemCode.expression, `${where}strategy.fail-fast must be true or false when the run is planned`, at(ff)));
    }
    const mp = planNumber(field(strategy, 'max-parallel'), w.reader, base);
    let maxParallel: number | null = null;
    if (typeof mp === 'number' && Number.isInteger(mp)) maxParallel = mp;
    else if (mp !== null) problems.push(problem(w.file, ProblemCode.expression, `${where}strategy.max-parallel must be a whole number of at least 1 known when the run is planned`, at(field(strategy, 'max-parallel'))));

    const needs = typeof job.needs === 'string' ? [job.needs] : job.needs;
    const jobEnv = { ...workflowEnv, ...w.reader.stringMap(field(t, 'env')) };
    const defaults = { ...workflowDefaults, ...runDefaults(t, w) };
    const writtenName = w.reader.text(field(t, 'name'));
    const ifText = w.reader.text(field(t, 'if'));
    const outputs = w.reader.stringMap(field(t, 'outputs'));
    const runsOnToken = field(t, 'runs-on');

    for (let i = 0; i < combinations.length; i++) {
      const matrix = combinations[i]!;
      const ctx: PlanContexts = {
        ...base,
        matrix: matrix ?? {},
        strategy: { 'fail-fast': failFast, 'job-index': i, 'job-total': combinations.length, 'max-parallel': emptyMatrix ? 1 : (maxParallel ?? combinations.length) },
      };
      const label = matrix ? matrixLabel(matrix) : '';
      let name = writtenName ?? job.key;
      const evaluatedName = evaluateTemplate(name, ctx);
      if (evaluatedName) name = String(evaluatedName.value);
      // GitHub appends the matrix values unless the name already shows them.
      if (matrix && label && !(writtenName && /\bmatrix\b/.test(writtenName))) name = `${name} (${label})`;

      // A vmactions step picks the machine: its release's label replaces the job's own runs-on.
      const shim = vmactionsTarget({ steps: field(t, 'steps'), reader: w.reader, file: w.file, where }, ctx, validating ? null : (opts.vmactions ?? {}), opts.labels, problems);
      const runsOn = shim === 'broken' ? ({ ok: false, message: '' } as const) : shim && shim.runsOn.ok !== 'later' ? shim.runsOn : resolveRunsOn(w.reader.json(runsOnToken), ctx, opts.labels);
      if (runsOn.ok === false && shim !== 'broken') problems.push(problem(w.file, ProblemCode.runsOn, `${where}${runsOn.message}`, at(runsOnToken)));
      const timeout = planNumber(field(t, 'timeout-minutes'), w.reader, ctx);
      if (timeout === 'invalid' || (timeout === 'later' && !validating)) {
        problems.push(problem(w.file, ProblemCode.expression, `${where}timeout-minutes must be ${TIMEOUT_RANGE}, known when the run is planned (literal, matrix, inputs or github values)`, at(field(t, 'timeout-minutes'))));
      }
      const coe = field(t, 'continue-on-error');
      let continueOnError: boolean | string = false;
      if (coe) {
        if (isBoolean(coe)) continueOnError = coe.value;
        else {
          const text = w.reader.text(coe) ?? 'false';
          const r = evaluateTemplate(text, ctx);
          continueOnError = r && typeof r.value === 'boolean' ? r.value : text;
        }
      }
      const steps = await planSteps(field(t, 'steps'), { file: w.file, workflowName: w.name, jobKey: job.key, reader: w.reader, ctx, actions: opts.actions, problems, chain: [] });
      const environment = jobEnvironment(field(t, 'environment'), w, ctx);
      if (environment === 'later' && (!validating || readsRuntimeValues(w.reader.json(field(t, 'environment'))))) problems.push(problem(w.file, ProblemCode.expression, `${where}environment name must be known when the run is planned (literal, matrix, inputs or github values): it selects the environment's secrets and approval before the job starts`, at(field(t, 'environment'))));
      const plan: JobPlan = {
        id: `${w.file}#${job.key}${matrix ? ` (${label})` : ''}`,
        workflow: { file: w.file, name: w.name },
        jobKey: job.key,
        name,
        matrix,
        needs,
        if: ifText ?? null,
        runsOn: runsOn.ok === true ? runsOn.labels : [],
        env: jobEnv,
        defaults: { shell: defaults.shell ?? null, workingDirectory: defaults.workingDirectory ?? null },
        timeoutMinutes: typeof timeout === 'number' ? timeout : DEFAULT_TIMEOUT_MINUTES,
        continueOnError,
        concurrency: concurrencyOf(field(t, 'concurrency'), w, ctx, where, problems),
        strategy: { failFast, maxParallel },
        outputs,
        secretNames: [],
        steps,
        ...(environment && environment !== 'later' && { environment }),
        ...permissionsField(permissionsOf(w.reader.json(field(t, 'permissions'))) ?? workflowPermissions),
        ...(shim && shim !== 'broken' && shim.mapping.label && { vmactions: shim.mapping }),
      };
      const secrets = new Set<string>();
      collectSecrets({ env: plan.env, if: plan.if, outputs, steps, concurrency: field(t, 'concurrency') ? w.reader.json(field(t, 'concurrency')) : null }, '', secrets);
      plan.secretNames = [...secrets].sort();
      if (runsOn.ok !== false) jobs.push(plan);
    }
  }
  return { jobs, problems, concurrency };
}

