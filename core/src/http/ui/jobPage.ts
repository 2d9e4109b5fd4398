import type { JobView } from '../../orchestrator/runView.js';
import type { ArtifactRecord, LogLine } from '../../store/index.js';
import { artifactList } from './artifactList.js';
import { formatDuration } from './format.js';
import { html, raw, type SafeHtml } from './html.js';
import { JOB_PAGE_SCRIPT } from './jobPageScript.js';

export interface JobPageData {
  job: JobView;
  runId: string;
  /** The log lines rendered into the page (the script streams the rest from `next`). */
  lines: LogLine[];
  next: number;
  /** False when the job is final and every line is in the page: no stream to open. */
  live: boolean;
  /** The run's artifacts (download-artifact reads across the run's jobs, so the page lists them all). */
  artifacts?: readonly ArtifactRecord[];
}

/** The page forges link to: job state, steps with durations, annotations and the live log. */
export function jobPage(d: JobPageData, nonce: string): SafeHtml {
  const { job } = d;
  return html`<h1>${job.name} <span id="job-state" class="state ${job.state}">${job.state}</span></h1>
<p class="meta"><span><a href="/runs/${encodeURIComponent(d.runId)}">run</a></span><span>${job.workflow}</span><span>runs-on: ${job.runsOn.join(', ')}</span><span>attempt ${job.attempt}</span><span>${formatDuration(job.durationMs)}</span></p>
${job.machineStart ? html`<p class="meta" id="machine-start"><span>machine: booted ${formatDuration(job.machineStart.bootedMs)}</span><span>first console byte ${formatDuration(job.machineStart.consoleMs)}</span><span>agent hello ${formatDuration(job.machineStart.helloMs)}</span><span>(from the disk clone)</span></p>` : ''}
<p class="meta" id="job-reason">${job.reason ?? ''}</p>
<h2>Steps</h2>
${job.steps.length
  ? html`<table><tbody>
${job.steps.map((s) => html`<tr data-step="${s.number}"><td class="num">${s.number}</td><td>${s.name}</td><td><span class="state ${s.conclusion ?? s.state}">${s.conclusion ?? s.state}</span></td><td class="dur">${formatDuration(s.durationMs)}</td></tr>
`)}</tbody></table>`
  : html`<p class="empty">No steps.</p>`}
${job.annotations.length
  ? html`<h2>Annotations</h2><ul class="annotations">${job.annotations.map(
      (a) => html`<li class="${a.level}"><strong>${a.level}</strong> ${a.file ? html`<code>${a.file}${a.line ? `:${a.line}` : ''}</code> ` : ''}${a.title ? html`<em>${a.title}</em>: ` : ''}${a.message}</li>`,
    )}</ul>`
  : ''}
${artifactList(d.artifacts ?? [])}
<h2>Log</h2>
<div id="log" data-job="${job.id}" data-next="${d.next}" data-live="${d.live ? '1' : '0'}">${d.lines.length
    ? d.lines.map((l) => html`<div class="ln ${l.stream}" data-seq="${l.seq}">${l.text}</div>`)
    : html`<div id="log-empty" class="empty">${d.live ? 'Waiting for output…' : 'This job wrote no log.'}</div>`}</div>
<script nonce="${nonce}">${raw(JOB_PAGE_SCRIPT)}</script>`;
}
