import type { PlanProblem } from '@helios-ci/sdk';
import { problem, ProblemCode, type Position } from './problems.js';

export interface JobNeeds {
  key: string;
  needs: string[];
  at: Position | null;
}

/**
 * Needs cycles, each reported once with its path. (Unknown jobs are reported by GitHub's parser,
 * whose message for a cycle — "must contain at least one job with no dependencies" — does not say
 * where the cycle is.)
 */
export function findNeedsCycles(file: string, jobs: JobNeeds[]): PlanProblem[] {
  const byKey = new Map(jobs.map((j) => [j.key, j]));
  const state = new Map<string, 'visiting' | 'done'>();
  const problems: PlanProblem[] = [];
  const path: string[] = [];
  const visit = (key: string): void => {
    state.set(key, 'visiting');
    path.push(key);
    for (const dep of byKey.get(key)?.needs ?? []) {
      if (!byKey.has(dep)) continue;
      const s = state.get(dep);
      if (s === 'visiting') {
        const cycle = [...path.slice(path.indexOf(dep)), dep];
        problems.push(problem(file, ProblemCode.needs, `jobs depend on each other in a cycle (${cycle.join(' → ')}), so none of them could start; remove one of these needs`, byKey.get(dep)!.at));
      } else if (!s) {
        visit(dep);
      }
    }
    path.pop();
    state.set(key, 'done');
  };
  for (const j of jobs) if (!state.has(j.key)) visit(j.key);
  return problems;
}

/** Jobs in an order where every job comes after the jobs it needs (input order otherwise kept). */
export function topologicalOrder<T extends { key: string; needs: string[] }>(jobs: T[]): T[] {
  const byKey = new Map(jobs.map((j) => [j.key, j]));
  const seen = new Set<string>();
  const out: T[] = [];
  const visit = (j: T) => {
    if (seen.has(j.key)) return;
    seen.add(j.key);
    for (const d of j.needs) {
      const dep = byKey.get(d);
      if (dep) visit(dep);
    }
    out.push(j);
  };
  jobs.forEach(visit);
  return out;
}
