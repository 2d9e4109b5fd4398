import type { RunSummary } from '../api/runSummary.js';
import { formatDuration } from './format.js';
import { html, type SafeHtml } from './html.js';
import { RUN_STATUSES, type RunFilter } from './runFilter.js';
import { branchOf, runStatus } from './runStatus.js';

export interface RunsPageData {
  runs: RunSummary[];
  filter: RunFilter;
  next: string | null;
  /** Repositories and events seen, for the filter choices. */
  repositories: string[];
  events: string[];
}

const query = (f: RunFilter, extra: Record<string, string> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

/** The runs list: newest first, a GET form of filters (works without script), older pages by cursor. */
export function runsPage(d: RunsPageData): SafeHtml {
  const f = d.filter;
  const option = (value: string, current: string | undefined, label = value) => html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
  return html`<h1>Runs</h1>
<form class="filters" method="get" action="/" id="run-filters">
<label>Repository <select name="repository">${option('', f.repository, 'all')}${d.repositories.map((r) => option(r, f.repository))}</select></label>
<label>Branch <input name="branch" value="${f.branch ?? ''}" placeholder="any" size="14"></label>
<label>Event <select name="event">${option('', f.event, 'any')}${d.events.map((e) => option(e, f.event))}</select></label>
<label>Status <select name="status">${option('', f.status, 'any')}${RUN_STATUSES.map((s) => option(s, f.status))}</select></label>
<button type="submit">Filter</button>
</form>
<div id="live" data-refresh="3">
${d.runs.length
  ? html`<table class="runs"><thead><tr><th>Status</th><th>Run</th><th class="hide-s">Event</th><th class="hide-s">Commit</th><th>Started</th><th class="dur">Duration</th></tr></thead><tbody>
${d.runs.map((r) => {
    const st = runStatus(r);
    return html`<tr data-run="${r.id}"><td><span class="state ${st}">${st}</span></td><td><a href="/runs/${encodeURIComponent(r.id)}">${r.repository}</a> <span class="branch">${branchOf(r.ref)}</span></td><td class="hide-s">${r.event}</td><td class="hide-s"><code>${r.sha.slice(0, 8)}</code></td><td><time datetime="${r.createdAt}">${r.createdAt.replace('T', ' ').slice(0, 19)}</time></td><td class="dur">${formatDuration(r.durationMs)}</td></tr>
`;
  })}</tbody></table>`
  : html`<p class="empty">No runs${f.repository || f.branch || f.event || f.status ? ' match these filters' : ' yet'}.</p>`}
<nav class="pager">${d.next ? html`<a id="older" href="/${query(f, { before: d.next })}">Older runs →</a>` : ''}</nav>
</div>`;
}
