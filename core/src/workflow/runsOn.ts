import { evaluateDeep } from './matrix.js';
import type { PlanContexts } from './expressions.js';

export type RunsOnResult = { ok: true; labels: string[] } | { ok: false; message: string } | { ok: 'later' };

/**
 * `runs-on` (string, list, `{ labels }`, or expressions in any of them) evaluated at plan time and
 * checked against the labels configured runtimes serve (case-insensitively, as GitHub does).
 * `available` null skips the check (validation without a configuration).
 */
export function resolveRunsOn(written: unknown, ctx: PlanContexts, available: readonly string[] | null): RunsOnResult {
  const evaluated = evaluateDeep(written, ctx);
  if (!evaluated) {
    if (!available) return { ok: 'later' };
    return { ok: false, message: `runs-on ${JSON.stringify(written)} reads values that exist only once jobs run (needs, vars, env, ...); Helios picks the runtime when it plans the run. Use matrix, inputs or github values, or literal labels` };
  }
  let value = evaluated.value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (v.group !== undefined) return { ok: false, message: 'runs-on.group (GitHub runner groups) is not supported; select runtimes with labels (runs-on: [label, ...])' };
    value = v.labels;
  }
  const labels = (Array.isArray(value) ? value : [value]).map((l) => (typeof l === 'string' ? l.trim() : String(l)));
  if (labels.length === 0 || labels.some((l) => l === '' || l === 'null' || l === 'undefined')) {
    return { ok: false, message: `runs-on ${JSON.stringify(written)} evaluates to ${JSON.stringify(value)}, which names no label; give at least one runtime label` };
  }
  if (available) {
    const known = new Set(available.map((l) => l.toLowerCase()));
    const unknown = labels.filter((l) => !known.has(l.toLowerCase()));
    if (unknown.length) {
      const what = unknown.length === 1 ? `label "${unknown[0]}" is` : `labels ${unknown.map((l) => `"${l}"`).join(', ')} are`;
      // An empty enumeration ("labels available: .") reads as a bug; say what it means.
      if (available.length === 0) {
        return { ok: false, message: `runs-on ${what} not served: no runtime is configured. Configure a runtime plugin with that label in helios.yaml (e.g. @helios-ci/runtime-local, which serves "local")` };
      }
      return { ok: false, message: `runs-on ${what} not served by any configured runtime; labels available: ${available.join(', ')}. Change runs-on or configure a runtime with that label` };
    }
  }
  return { ok: true, labels };
}
