import { formatBytes } from '../../blobs/byteLimit.js';
import type { ArtifactRecord } from '../../store/index.js';
import { artifactZipPath } from '../../blobs/artifactLinks.js';
import { html, type SafeHtml } from './html.js';

/** The run's artifacts with their zip links (job and run pages); nothing when there are none. */
export function artifactList(artifacts: readonly ArtifactRecord[], heading = 'Artifacts of this run'): SafeHtml | string {
  if (artifacts.length === 0) return '';
  return html`<h2>${heading}</h2>
<ul class="artifacts">${artifacts.map((a) => html`<li><a href="${artifactZipPath(a.runId, a.name)}" download>${a.name}.zip</a> <span class="meta">${formatBytes(a.size)}, kept until ${new Date(a.expiresAt).toISOString().slice(0, 10)}</span></li>`)}</ul>`;
}
