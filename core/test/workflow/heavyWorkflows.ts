/**
 * Hundreds of jobs sharing one anchored step list whose steps share an anchored env: a small file
 * with many alias expansions, the shape that froze `helios serve` (issue 10, item 1).
 */
export function aliasHeavyWorkflow(jobs: number, steps = 20): string {
  let t = 'on: push\nenv: &env { A: "1", B: "2", C: "3" }\njobs:\n  j0:\n    runs-on: local\n    steps: &steps\n';
  for (let i = 0; i < steps; i++) t += `      - name: step ${i}\n        run: echo ${i}\n        env: *env\n`;
  for (let j = 1; j < jobs; j++) t += `  job-number-${j}:\n    name: the job number ${j} of this workflow\n    runs-on: local\n    timeout-minutes: 10\n    steps: *steps\n`;
  return t;
}

/** The largest alias-heavy workflow the input guard accepts (about 95,000 values once expanded). */
export const LARGEST_ACCEPTED_JOBS = 360;

/**
 * Work no machine plans within a second: `count` workflow files, each as large as the guard allows.
 * (Each takes on the order of a second to plan even on a fast idle machine, so a one-second budget
 * is exceeded by a wide margin whatever the machine's speed.)
 */
export function planningTooLongForASecond(count = 8): { path: string; content: string }[] {
  return Array.from({ length: count }, (_, i) => ({ path: `.github/workflows/heavy-${String(i).padStart(2, '0')}.yml`, content: aliasHeavyWorkflow(LARGEST_ACCEPTED_JOBS) }));
}
