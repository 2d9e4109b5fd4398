import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Where GitHub and Forgejo look for workflows, relative to the repository root. */
export const WORKFLOW_DIRS = ['.github/workflows', '.forgejo/workflows'];

const isWorkflowName = (name: string) => /\.ya?ml$/i.test(name);

/** Workflow files under the given paths (files taken as they are, folders scanned one level, as GitHub does). */
export async function discoverWorkflowFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const full = join(cwd, p);
    const s = await stat(full).catch(() => null);
    if (!s) continue;
    if (s.isDirectory()) {
      for (const e of (await readdir(full, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        // Symlinks are listed too: reading refuses those that leave the repository, with a problem.
        if ((e.isFile() || e.isSymbolicLink()) && isWorkflowName(e.name)) out.push(relative(cwd, join(full, e.name)));
      }
    } else {
      out.push(relative(cwd, full));
    }
  }
  return out;
}
