import type { RunView } from '../../orchestrator/runView.js';
import type { ArtifactRecord } from '../../store/index.js';
import { artifactList } from './artifactList.js';
import { annotationList } from './annotationList.js';
import { formatDuration } from './format.js';
import { html, type SafeHtml } from './html.js';
import { runGraph, type GraphJob } from './runGraph.js';
import { branchOf, runStatus } from './runStatus.js';

export interface RunPageData {
  run: RunView;
  jobs: GraphJob[];
  author: string | null;
  artifacts: readonly ArtifactRecord[];
  /** The reader may re-run and cancel (forms carry `csrf`). */
  canWrite: boolean;
  csrf?: string | undefined;
}

/** A run: trigger, commit, author, its needs graph, actions, annotations of all jobs and artifacts. */
export function runPage(d: RunPageData): SafeHtml {
  const { run } = d;
  const st = runStatus(run);
  const workflows = [...new Set(run.jobs.map((j) => j.workflow))];
  const failed = run.jobs.some((j) => ['failed', 'errored', 'cancelled', 'timed_out'].includes(j.state));
  const annotations = run.jobs.flatMap((j) => j.annotations.map((a) => ({ ...a, job: j })));
  return html`<h1>Run of ${run.repository} <span id="run-state" class="state ${st}">${st}</span></h1>
<p class="meta"><span>${workflows.join(', ') || 'no workflow'}</span><span>${run.event}</span><span class="branch">${branchOf(run.ref)}</span><span><code title="${run.sha}">${run.sha.slice(0, 12)}</code></span>${d.author ? html`<span>by ${d.author}</span>` : ''}<span><time datetime="${run.createdAt}">${run.createdAt.replace('T', ' ').slice(0, 19)}</time></span><span>${formatDuration(run.durationMs)}</span></p>
${d.canWrite ? actions(run, failed, d.csrf ?? '') : ''}
<div id="live" data-refresh="${run.state === 'completed' ? '' : '3'}">
${run.problems.length
  ? html`<h2>Workflow problems</h2><ul class="annotations">${run.problems.map((p) => html`<li class="failure"><code>${p.file}:${p.line ?? 1}:${p.col ?? 1}</code> ${p.message}</li>`)}</ul>`
  : ''}
<h2>Jobs</h2>
${run.jobs.length ? runGraph(d.jobs) : html`<p class="empty">This run has no jobs.</p>`}
${run.jobs.length
  ? html`<table class="jobs"><thead><tr><th>Job</th><th class="hide-s">Workflow</th><th>State</th><th class="dur">Duration</th></tr></thead><tbody>
${run.jobs.map((j) => html`<tr><td><a href="/jobs/${encodeURIComponent(j.id)}">${j.name}</a></td><td class="hide-s">${j.workflow}</td><td><span class="state ${j.state}">${j.state}</span></td><td class="dur">${formatDuration(j.durationMs)}</td></tr>
`)}</tbody></table>`
  : ''}
${annotations.length ? html`<h2>Annotations</h2>${annotationList(annotations)}` : ''}
${artifactList(d.artifacts, 'Artifacts')}
</div>`;
}

function actions(run: RunView, failed: boolean, csrf: string): SafeHtml {
  const id = encodeURIComponent(run.id);
  const form = (path: string, label: string, extra: SafeHtml | string = '') =>
    html`<form method="post" action="/runs/${id}/${path}" class="inline"><input type="hidden" name="_csrf" value="${csrf}">${extra}<button type="submit">${label}</button></form>`;
  return html`<div class="actions" id="run-actions">
${run.state === 'completed' ? form('rerun', 'Re-run all jobs', html`<input type="hidden" name="scope" value="all">`) : ''}
${run.state === 'completed' && failed ? form('rerun', 'Re-run failed jobs', html`<input type="hidden" name="scope" value="failed">`) : ''}
${run.state !== 'completed' ? form('cancel', 'Cancel run') : ''}
</div>`;
}
