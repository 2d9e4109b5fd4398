import type { RunView } from '../../orchestrator/runView.js';
import { formatDuration } from './format.js';
import { html, type SafeHtml } from './html.js';
import type { ArtifactRecord } from '../../store/index.js';
import { artifactList } from './artifactList.js';

/** A run: what it ran on, and its jobs linking to their pages. */
export function runPage(run: RunView, artifacts: readonly ArtifactRecord[] = []): SafeHtml {
  return html`<h1>Run of ${run.repository} <span class="state ${run.conclusion ?? run.state}">${run.conclusion ?? run.state}</span></h1>
<p class="meta"><span>${run.event}</span><span>${run.ref}</span><span><code>${run.sha.slice(0, 12)}</code></span><span>${run.createdAt}</span><span>${formatDuration(run.durationMs)}</span></p>
${run.problems.length
  ? html`<h2>Workflow problems</h2><ul class="annotations">${run.problems.map((p) => html`<li class="failure"><code>${p.file}:${p.line ?? 1}:${p.col ?? 1}</code> ${p.message}</li>`)}</ul>`
  : ''}
<h2>Jobs</h2>
${run.jobs.length
  ? html`<table><thead><tr><th>Job</th><th>Workflow</th><th>State</th><th class="dur">Duration</th></tr></thead><tbody>
${run.jobs.map((j) => html`<tr><td><a href="/jobs/${encodeURIComponent(j.id)}">${j.name}</a></td><td>${j.workflow}</td><td><span class="state ${j.state}">${j.state}</span></td><td class="dur">${formatDuration(j.durationMs)}</td></tr>
`)}</tbody></table>`
  : html`<p class="empty">This run has no jobs.</p>`}
${artifactList(artifacts, 'Artifacts')}`;
}
