import type { PlanProblem } from '@helios-ci/sdk';
import { isBoolean, type TemplateToken } from './vendor/workflowParser.js';
import { evaluateTemplate, type PlanContexts } from './expressions.js';
import { evaluateDeep, expandMatrix, matrixLabel, type MatrixValues } from './matrix.js';
import type { ParsedWorkflow } from './parseWorkflow.js';
import { problem, ProblemCode } from './problems.js';
import { planNumber } from './steps.js';
import { readsRuntimeValues } from './dynamicValues.js';
import { at, field } from './tokens.js';

export interface CallCombination {
  /** null: no matrix (or one whose exclude removed everything, which GitHub runs once unchanged). */
  matrix: MatrixValues | null;
  /** ` (<values>)` is appended to the caller's key and name; '' without a matrix. */
  label: string;
  strategy: Record<string, unknown>;
}

export interface CallStrategy {
  combinations: CallCombination[];
  failFast: boolean;
  maxParallel: number | null;
}

/**
 * `strategy:` of a job that calls a reusable workflow: GitHub makes one call per matrix
 * combination, whose `with:` and name may read `matrix.*`. Expanded when the run is planned, as
 * job matrices are; null (with problems) when it cannot be.
 */
export function callStrategy(w: ParsedWorkflow, jobKey: string, strategy: TemplateToken | undefined, base: PlanContexts, problems: PlanProblem[], validating: boolean): CallStrategy | null {
  const where = `job "${jobKey}": `;
  const none: CallCombination = { matrix: null, label: '', strategy: {} };
  if (!strategy) return { combinations: [none], failFast: true, maxParallel: null };
  let ok = true;
  const ff = field(strategy, 'fail-fast');
  let failFast = true;
  if (ff) {
    const r = isBoolean(ff) ? { value: ff.value } : evaluateTemplate(w.reader.text(ff) ?? '', base);
    if (r && typeof r.value === 'boolean') failFast = r.value;
    else (problems.push(problem(w.file, ProblemCode.expression, `${where}strategy.fail-fast must be true or false when the run is planned`, at(ff))), (ok = false));
  }
  const mp = planNumber(field(strategy, 'max-parallel'), w.reader, base);
  let maxParallel: number | null = null;
  if (typeof mp === 'number' && Number.isInteger(mp) && mp >= 1) maxParallel = mp;
  else if (mp !== null) (problems.push(problem(w.file, ProblemCode.expression, `${where}strategy.max-parallel must be a whole number of at least 1 known when the run is planned`, at(field(strategy, 'max-parallel')))), (ok = false));

  const matrixToken = field(strategy, 'matrix');
  let values: MatrixValues[] = [];
  if (matrixToken) {
    const written = w.reader.json(matrixToken);
    const evaluated = evaluateDeep(written, base);
    if (!evaluated) {
      // validate has no event: github values are unknown there, reading needs/vars/... is what plan refuses.
      if (validating && !readsRuntimeValues(written)) return null;
      problems.push(problem(w.file, ProblemCode.matrix, `${where}strategy.matrix reads values that exist only once jobs run (needs outputs, vars, ...); Helios expands the matrix of calls when it plans the run (the called workflow is planned once per combination). Use literal values, inputs or github values`, at(matrixToken)));
      return null;
    }
    const expanded = expandMatrix(evaluated.value);
    if (!expanded.ok) {
      problems.push(problem(w.file, ProblemCode.matrix, `${where}${expanded.message}`, at(matrixToken)));
      return null;
    }
    values = expanded.combinations;
  }
  if (!ok) return null;
  if (values.length === 0) return { combinations: [{ ...none, strategy: { 'fail-fast': failFast, 'job-index': 0, 'job-total': 1, 'max-parallel': 1 } }], failFast, maxParallel };
  const combinations = values.map((matrix, i): CallCombination => ({
    matrix,
    label: matrixLabel(matrix),
    strategy: { 'fail-fast': failFast, 'job-index': i, 'job-total': values.length, 'max-parallel': maxParallel ?? values.length },
  }));
  return { combinations, failFast, maxParallel };
}
