/** The path a run's artifact is downloaded from (API, pages, check summaries). */
export function artifactZipPath(runId: string, name: string): string {
  return `/api/runs/${encodeURIComponent(runId)}/artifacts/${encodeURIComponent(name)}/zip`;
}
