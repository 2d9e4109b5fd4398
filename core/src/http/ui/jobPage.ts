import type { JobView } from '../../orchestrator/runView.js';
import type { ArtifactRecord, LogLine } from '../../store/index.js';
import { annotationList } from './annotationList.js';
import { artifactList } from './artifactList.js';
import { formatDuration } from './format.js';
import { html, type SafeHtml } from './html.js';
import { isTerminalJobState } from '../../store/index.js';

export interface JobPageData {
  job: JobView;
  runId: string;
  /** The first log lines, rendered into the page for readers without script. */
  lines: LogLine[];
  next: number;
  /** The last seq in the store now. */
  lastSeq: number;
  /** False when the job is final and every line is in the store: no stream to open. */
  live: boolean;
  artifacts?: readonly ArtifactRecord[];
  canWrite?: boolean;
  csrf?: string | undefined;
}

/** Escape sequences (SGR colours and the like): the page without script shows plain text. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** The page forges link to: job state, steps with durations, machine timings, annotations, actions, the log. */
export function jobPage(d: JobPageData): SafeHtml {
  const { job } = d;
  const id = encodeURIComponent(job.id);
  const more = d.lastSeq > (d.lines.at(-1)?.seq ?? 0);
  return html`<h1>${job.name} <span id="job-state" class="state ${job.state}">${job.state}</span></h1>
<p class="meta"><span><a href="/runs/${encodeURIComponent(d.runId)}">← run</a></span><span>${job.workflow}</span><span>runs-on: ${job.runsOn.join(', ')}</span><span>attempt ${job.attempt}</span><span id="job-duration">${formatDuration(job.durationMs)}</span></p>
${job.machineStart ? html`<p class="meta" id="machine-start"><span>machine: booted ${formatDuration(job.machineStart.bootedMs)}</span><span>first console byte ${formatDuration(job.machineStart.consoleMs)}</span><span>agent hello ${formatDuration(job.machineStart.helloMs)}</span><span>(from the disk clone)</span></p>` : ''}
${job.vmactions ? vmactionsLine(job.vmactions) : ''}
${job.environment ? environmentLine(job.environment) : ''}
<p class="meta" id="job-reason">${job.reason ?? ''}</p>
${d.canWrite ? actions(job, d.csrf ?? '') : ''}
<h2>Steps</h2>
${job.steps.length
  ? html`<table class="steps"><tbody>
${job.steps.map((s) => html`<tr data-step="${s.number}"><td class="num">${s.number}</td><td>${s.name}</td><td><span class="state ${s.conclusion ?? s.state}">${s.conclusion ?? s.state}</span></td><td class="dur">${formatDuration(s.durationMs)}</td></tr>
`)}</tbody></table>`
  : html`<p class="empty">No steps.</p>`}
${job.actions.length
  ? html`<h2>Actions</h2><table class="steps" id="remote-actions"><tbody>
${job.actions.map((a) => html`<tr data-action-step="${a.step}"><td>${a.name}</td><td><code>${a.uses}</code></td><td><code title="${a.sha}">${a.sha.slice(0, 12)}</code></td></tr>
`)}</tbody></table>`
  : ''}
${job.annotations.length ? html`<h2>Annotations</h2>${annotationList(job.annotations)}` : ''}
${artifactList(d.artifacts ?? [])}
<h2 id="log-heading">Log <a class="small" href="/jobs/${id}/log.txt" download id="raw-log">download raw log</a></h2>
<div id="log" class="log" tabindex="0" data-job="${job.id}" data-next="${d.next}" data-last="${d.lastSeq}" data-live="${d.live ? '1' : '0'}">${d.lines.length
    ? d.lines.map((l) => html`<div class="ln ${l.stream}" id="L${l.seq}"><a class="n" href="#L${l.seq}">${l.seq}</a><span class="t">${l.text.replace(ANSI, '')}</span></div>`)
    : html`<div id="log-empty" class="empty">${d.live ? 'Waiting for output…' : 'This job wrote no log.'}</div>`}</div>
${more ? html`<p class="meta" id="log-more">Lines 1–${d.lines.at(-1)?.seq ?? 0} of ${d.lastSeq} shown without script; <a href="/jobs/${id}/log.txt">the raw log</a> has all of them.</p>` : ''}`;
}

/** The job's environment and its url: a link only for http(s) urls (a url is the workflow author's text). */
function environmentLine(env: NonNullable<JobView['environment']>): SafeHtml {
  const url = env.url !== null && /^https?:\/\//i.test(env.url)
    ? html`<a id="environment-url" href="${env.url}" rel="noopener">${env.url}</a>`
    : env.url !== null
      ? html`<span id="environment-url">${env.url}</span>`
      : env.urlWritten !== null
        ? html`<span id="environment-url">url <code>${env.urlWritten}</code> reads values of the running job, which Helios does not keep after it yet</span>`
        : '';
  return html`<p class="meta" id="environment"><span>environment: ${env.name}</span>${url}</p>`;
}

/** What the vmactions shim mapped: the step's release onto a label, and the inputs it ignores. */
function vmactionsLine(vm: NonNullable<JobView['vmactions']>): SafeHtml {
  return html`<p class="meta" id="vmactions"><span>${vm.uses}: release ${vm.release} → ${vm.label} (vmactions.${vm.os}.${vm.matched})</span><span>shell: ${vm.shell} {0} → sh</span>${vm.notes.map((n) => html`<span>${n}</span>`)}</p>`;
}

function actions(job: JobView, csrf: string): SafeHtml {
  const id = encodeURIComponent(job.id);
  const form = (path: string, label: string) => html`<form method="post" action="/jobs/${id}/${path}" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">${label}</button></form>`;
  return html`<div class="actions" id="job-actions">${isTerminalJobState(job.state) ? form('rerun', 'Re-run this job') : form('cancel', 'Cancel job')}</div>`;
}
