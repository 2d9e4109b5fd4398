/** One word for a run's or job's state: its conclusion when finished, else what it is doing. */
export function runStatus(r: { state: string; conclusion: string | null }): string {
  return r.state === 'completed' ? (r.conclusion ?? 'completed') : r.state;
}

/** `refs/heads/main` → `main`; tags and pull refs shown as they are without the `refs/`. */
export function branchOf(ref: string): string {
  return ref.replace(/^refs\/heads\//, '').replace(/^refs\//, '');
}
