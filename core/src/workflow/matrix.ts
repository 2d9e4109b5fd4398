import { evaluateTemplate, hasExpression, type PlanContexts } from './expressions.js';

/** GitHub's limit, which Helios keeps so a workflow behaves the same in both. */
export const MAX_MATRIX_JOBS = 256;

export type MatrixValues = Record<string, unknown>;
export type MatrixResult = { ok: true; combinations: MatrixValues[] } | { ok: false; message: string };

/** Replaces every string holding `${{ }}` with its plan-time value; null when one must wait for needs. */
export function evaluateDeep(value: unknown, ctx: PlanContexts): { value: unknown } | null {
  if (typeof value === 'string') return hasExpression(value) ? evaluateTemplate(value, ctx) : { value };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const r = evaluateDeep(v, ctx);
      if (!r) return null;
      out.push(r.value);
    }
    return { value: out };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = evaluateDeep(v, ctx);
      if (!r) return null;
      out[k] = r.value;
    }
    return { value: out };
  }
  return { value };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const describe = (v: unknown) => JSON.stringify(v);

/**
 * Expands an evaluated `strategy.matrix` with GitHub's documented semantics: the cartesian product
 * of the vectors (first key varies slowest), minus every combination an `exclude` entry partially
 * matches, then each `include` entry is merged into every original combination whose original
 * values it does not change (values added by earlier includes may be overwritten), or appended as
 * a new combination when it fits none.
 */
export function expandMatrix(matrix: unknown): MatrixResult {
  if (!matrix || typeof matrix !== 'object' || Array.isArray(matrix)) {
    return { ok: false, message: `strategy.matrix must be a mapping of vectors, got ${describe(matrix)}` };
  }
  const m = matrix as Record<string, unknown>;
  const vectors: Array<[string, unknown[]]> = [];
  for (const [key, values] of Object.entries(m)) {
    if (key === 'include' || key === 'exclude') continue;
    if (!Array.isArray(values)) return { ok: false, message: `matrix vector "${key}" must be a list of values, got ${describe(values)}` };
    if (values.length === 0) return { ok: false, message: `matrix vector "${key}" has no values; give at least one or remove it` };
    vectors.push([key, values]);
  }
  const listOfMaps = (name: 'include' | 'exclude'): MatrixValues[] | string => {
    const v = m[name];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((e) => !e || typeof e !== 'object' || Array.isArray(e))) return `strategy.matrix.${name} must be a list of mappings, got ${describe(v)}`;
    return v as MatrixValues[];
  };
  const include = listOfMaps('include');
  if (typeof include === 'string') return { ok: false, message: include };
  const exclude = listOfMaps('exclude');
  if (typeof exclude === 'string') return { ok: false, message: exclude };
  if (vectors.length === 0 && include.length === 0) {
    return { ok: false, message: 'strategy.matrix defines no vectors and no include entries; add a vector (e.g. os: [ubuntu-latest]) or remove the matrix' };
  }

  let size = 1;
  for (const [, values] of vectors) size *= values.length;
  if (vectors.length > 0 && size > MAX_MATRIX_JOBS * 16) {
    // Refuse before building a huge product; the exact count still goes in the message.
    return { ok: false, message: `strategy.matrix produces ${size} combinations before exclude; a matrix may produce at most ${MAX_MATRIX_JOBS} jobs. Split the job or shrink the vectors` };
  }
  let base: MatrixValues[] = vectors.length ? [{}] : [];
  for (const [key, values] of vectors) base = base.flatMap((combo) => values.map((v) => ({ ...combo, [key]: v })));

  const vectorKeys = new Set(vectors.map(([k]) => k));
  for (const entry of exclude) {
    for (const key of Object.keys(entry)) {
      if (!vectorKeys.has(key)) return { ok: false, message: `strategy.matrix.exclude names "${key}", which is not a matrix vector (vectors: ${[...vectorKeys].join(', ') || 'none'})` };
    }
  }
  base = base.filter((combo) => !exclude.some((entry) => Object.entries(entry).every(([k, v]) => deepEqual(combo[k], v))));

  const originals = base.map((combo) => ({ original: combo, merged: { ...combo } as MatrixValues }));
  const extra: MatrixValues[] = [];
  for (const entry of include) {
    let matched = false;
    for (const o of originals) {
      const fits = Object.entries(entry).every(([k, v]) => !(k in o.original) || deepEqual(o.original[k], v));
      if (fits) {
        matched = true;
        Object.assign(o.merged, entry);
      }
    }
    if (!matched) extra.push({ ...entry });
  }
  // Every combination excluded: an empty list; GitHub then runs the job once without a matrix
  // (the caller does the same, see planWorkflow).
  const combinations = [...originals.map((o) => o.merged), ...extra];
  if (combinations.length > MAX_MATRIX_JOBS) {
    return { ok: false, message: `strategy.matrix produces ${combinations.length} jobs; a matrix may produce at most ${MAX_MATRIX_JOBS}. Split the job or shrink the vectors` };
  }
  return { ok: true, combinations };
}

/** `ubuntu-latest, 20`: how GitHub shows matrix values after a job name. */
export function matrixLabel(values: MatrixValues): string {
  return Object.values(values).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}
