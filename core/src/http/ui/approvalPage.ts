import type { ApprovalRecord } from '../../store/repos/approvalRepo.js';
import { html, type SafeHtml } from './html.js';

/** A fork pull request held until someone with write access approves it (the forge links here). */
export function approvalPage(a: ApprovalRecord, canWrite: boolean, csrf: string | undefined): SafeHtml {
  if (a.jobId) return environmentApprovalPage(a, canWrite, csrf);
  return html`<h1>Pull request #${a.prNumber} of ${a.repo.owner}/${a.repo.name} <span class="state ${a.state === 'pending' ? 'queued' : 'success'}">${a.state}</span></h1>
<p class="meta"><span>head <code>${a.headSha.slice(0, 12)}</code></span>${a.decidedBy ? html`<span>approved by ${a.decidedBy}</span>` : ''}${a.runId ? html`<span><a href="/runs/${encodeURIComponent(a.runId)}">its run</a></span>` : ''}</p>
<p>Pull requests from forks run only after a user with write access approves them, and then without secrets.</p>
${a.state === 'pending' && canWrite
  ? html`<form method="post" action="/approvals/${encodeURIComponent(a.id)}/approve" class="inline"><input type="hidden" name="_csrf" value="${csrf ?? ''}"><button type="submit">Approve and run</button></form>`
  : a.state === 'pending'
    ? html`<p class="meta">Sign in with write access to the repository to approve.</p>`
    : ''}`;
}

/** A job held until someone with write access approves its deployment environment. */
function environmentApprovalPage(a: ApprovalRecord, canWrite: boolean, csrf: string | undefined): SafeHtml {
  return html`<h1>Environment ${a.environment ?? ''} of ${a.repo.owner}/${a.repo.name} <span class="state ${a.state === 'pending' ? 'queued' : 'success'}">${a.state}</span></h1>
<p class="meta"><span>commit <code>${a.headSha.slice(0, 12)}</code></span>${a.decidedBy ? html`<span>approved by ${a.decidedBy}</span>` : ''}${a.runId ? html`<span><a href="/runs/${encodeURIComponent(a.runId)}">its run</a></span>` : ''}${a.jobId ? html`<span><a href="/jobs/${encodeURIComponent(a.jobId)}">the job</a></span>` : ''}</p>
<p>Jobs of this environment start only after a user with write access approves them.</p>
${a.state === 'pending' && canWrite
  ? html`<form method="post" action="/approvals/${encodeURIComponent(a.id)}/approve" class="inline"><input type="hidden" name="_csrf" value="${csrf ?? ''}"><button type="submit">Approve and start</button></form>`
  : a.state === 'pending'
    ? html`<p class="meta">Sign in with write access to the repository to approve.</p>`
    : ''}`;
}
