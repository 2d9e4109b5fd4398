import { data, Evaluator } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';
import { HeliosError } from '@helios-ci/sdk';
import { parseExpression } from '../workflow/expressions.js';

export type NeedResult = 'success' | 'failure' | 'cancelled' | 'skipped';

/** What a job-level `if:` may read (GitHub: github, needs, vars, inputs and the status functions). */
export interface JobConditionContext {
  github: Record<string, unknown>;
  inputs: Record<string, unknown>;
  vars: Record<string, string>;
  needs: Record<string, { result: NeedResult; outputs: Record<string, string> }>;
  /** The run was cancelled (cancel-in-progress, user cancel). */
  cancelled: boolean;
}

const toData = (value: unknown) => JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;

/**
 * Evaluates a job `if:` when its needs have finished. GitHub's rules: with no status function the
 * condition is implicitly `success() && (...)`; success() means every needed job succeeded,
 * failure() that one failed, cancelled() that the run was cancelled, always() is true.
 */
export function evaluateJobCondition(condition: string | null, ctx: JobConditionContext): boolean {
  const results = Object.values(ctx.needs).map((n) => n.result);
  const success = !ctx.cancelled && results.every((r) => r === 'success');
  if (condition === null || condition.trim() === '') return success;
  let body = condition.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(body);
  if (wrapped) body = wrapped[1]!.trim();
  const statusFunctions = /\b(success|failure|always|cancelled)\s*\(/i.test(body);
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  const functions = new Map<string, FunctionDefinition>([
    fn('success', () => success),
    fn('failure', () => !ctx.cancelled && results.some((r) => r === 'failure')),
    fn('cancelled', () => ctx.cancelled),
    fn('always', () => true),
  ]);
  const dict = new data.Dictionary();
  dict.add('github', toData(ctx.github));
  dict.add('inputs', toData(ctx.inputs));
  dict.add('vars', toData(ctx.vars));
  dict.add('needs', toData(ctx.needs));
  let value: boolean;
  try {
    value = truthy(new Evaluator(parseExpression(body), dict, functions).evaluate());
  } catch (err) {
    throw new HeliosError('E_EXPRESSION_INVALID', `job condition "${condition}" cannot be evaluated: ${(err as Error).message}`, { cause: err });
  }
  return statusFunctions ? value : success && value;
}
