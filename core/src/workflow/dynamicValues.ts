import { analyse, hasExpression, expressionsIn } from './expressions.js';

/** Contexts whose values exist when a run is planned (the rest exist only once jobs run). */
const PLAN_TIME_CONTEXTS = new Set(['github', 'inputs', 'matrix', 'strategy']);
const STEP_TIME_FUNCTIONS = new Set(['success', 'failure', 'always', 'cancelled', 'hashfiles']);

/**
 * Whether a written value (strings, lists, mappings) reads something that exists only once jobs run
 * (needs, vars, steps, secrets, env, runner, job, status functions). `validate` has no event, so it
 * cannot evaluate `github` values; it still knows that a matrix reading `needs` is what `plan` refuses.
 */
export function readsRuntimeValues(value: unknown): boolean {
  if (typeof value === 'string') {
    if (!hasExpression(value)) return false;
    for (const body of expressionsIn(value)) {
      let a;
      try {
        a = analyse(body);
      } catch {
        continue; // The schema check reports broken expressions.
      }
      for (const c of a.contexts) if (!PLAN_TIME_CONTEXTS.has(c)) return true;
      for (const f of a.functions) if (STEP_TIME_FUNCTIONS.has(f)) return true;
    }
    return false;
  }
  if (Array.isArray(value)) return value.some(readsRuntimeValues);
  if (value && typeof value === 'object') return Object.values(value).some(readsRuntimeValues);
  return false;
}
