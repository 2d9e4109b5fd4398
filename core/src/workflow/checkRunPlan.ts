import { Value } from '@sinclair/typebox/value';
import { RunPlanSchema, type RunPlan } from '@helios-ci/sdk';

/** Schema errors of a RunPlan (`path: message`); empty when it conforms to RunPlanSchema. */
export function runPlanErrors(value: unknown): string[] {
  if (Value.Check(RunPlanSchema, value)) return [];
  return [...Value.Errors(RunPlanSchema, value)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
}

export function isValidRunPlan(value: unknown): value is RunPlan {
  return Value.Check(RunPlanSchema, value);
}
