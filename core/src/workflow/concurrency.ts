import type { PlanProblem } from '@helios-ci/sdk';
import { isBoolean, isMapping, type TemplateToken } from './vendor/workflowParser.js';
import { evaluateTemplate, type PlanContexts } from './expressions.js';
import type { ParsedWorkflow } from './parseWorkflow.js';
import { problem, ProblemCode } from './problems.js';
import { at, field } from './tokens.js';

/** `concurrency:` (a group name or `{ group, cancel-in-progress }`) evaluated when the run is planned. */
export function concurrencyOf(token: TemplateToken | undefined, w: ParsedWorkflow, ctx: PlanContexts, where: string, problems: PlanProblem[]) {
  if (!token) return null;
  const groupToken = isMapping(token) ? field(token, 'group') : token;
  const writtenGroup = w.reader.text(groupToken) ?? '';
  const group = evaluateTemplate(writtenGroup, ctx);
  let cancelInProgress = false;
  const cancel = isMapping(token) ? field(token, 'cancel-in-progress') : undefined;
  if (cancel) {
    if (isBoolean(cancel)) cancelInProgress = cancel.value;
    else {
      const r = evaluateTemplate(w.reader.text(cancel) ?? '', ctx);
      if (r && typeof r.value === 'boolean') cancelInProgress = r.value;
      else problems.push(problem(w.file, ProblemCode.expression, `${where}concurrency.cancel-in-progress must be true or false when the run is planned (literal, matrix, inputs or github values)`, at(cancel)));
    }
  }
  return { group: group ? String(group.value) : writtenGroup, cancelInProgress };
}
