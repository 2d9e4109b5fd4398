import type { WorkflowFile, RepoRef } from '@helios-ci/sdk';
import { filePath, seg, type ForgejoClient } from './client.js';

/** Forgejo Actions reads .forgejo/workflows; GitHub-style repositories keep .github/workflows. */
export const WORKFLOW_DIRS = ['.forgejo/workflows', '.github/workflows'];
const WORKFLOW_FILE = /\.ya?ml$/;

/** ContentsResponse (the fields used). */
interface Contents {
  type?: string;
  name?: string;
  path?: string;
  encoding?: string | null;
  content?: string | null;
}

const repoPath = (repo: RepoRef) => `/repos/${seg(repo.owner)}/${seg(repo.name)}`;

/** One file at a commit through the contents API; null when absent or not a regular file. */
export async function readFile(client: ForgejoClient, repo: RepoRef, sha: string, path: string): Promise<string | null> {
  const res = await client.request<Contents | Contents[]>('GET', `${repoPath(repo)}/contents/${filePath(path)}`, { query: { ref: sha }, accept: [404] });
  if (res.status === 404 || Array.isArray(res.body) || res.body?.type !== 'file') return null;
  const { content, encoding } = res.body;
  if (typeof content !== 'string') return null;
  return encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
}

/** Every *.yml / *.yaml directly in the workflow folders at `sha`, sorted by path. */
export async function readWorkflows(client: ForgejoClient, repo: RepoRef, sha: string): Promise<WorkflowFile[]> {
  const files: WorkflowFile[] = [];
  for (const dir of WORKFLOW_DIRS) {
    const res = await client.request<Contents | Contents[]>('GET', `${repoPath(repo)}/contents/${filePath(dir)}`, { query: { ref: sha }, accept: [404] });
    if (res.status === 404 || !Array.isArray(res.body)) continue;
    for (const entry of res.body) {
      if (entry.type !== 'file' || !entry.name || !WORKFLOW_FILE.test(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      const content = await readFile(client, repo, sha, path);
      if (content !== null) files.push({ path, content });
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
