import type { Annotation } from '@helios-ci/sdk';
import { html, type SafeHtml } from './html.js';

/** Annotations with their file:line (and the job they came from on the run page). */
export function annotationList(list: readonly (Annotation & { job?: { id: string; name: string } })[]): SafeHtml {
  return html`<ul class="annotations">${list.map(
    (a) =>
      html`<li class="${a.level}"><strong>${a.level}</strong> ${a.file ? html`<code>${a.file}${a.line ? `:${a.line}` : ''}</code> ` : ''}${a.title ? html`<em>${a.title}</em>: ` : ''}${a.message}${a.job ? html` <a class="meta" href="/jobs/${encodeURIComponent(a.job.id)}">${a.job.name}</a>` : ''}</li>`,
  )}</ul>`;
}
