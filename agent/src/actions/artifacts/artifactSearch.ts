/**
 * upload-artifact's findFilesToUpload: the files (never directories) the `path:` lines match, and
 * the artifact's root directory — the least common ancestor of the search paths when there are
 * several, the file's own directory for a single file named exactly, else the one search path.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { glob } from '../glob.js';

export interface SearchResult {
  files: string[];
  rootDirectory: string;
}

/** Least common ancestor of absolute paths, component by component. */
export function leastCommonAncestor(paths: string[]): string {
  const split = paths.map((p) => normalize(p).split(sep));
  const shortest = Math.min(...split.map((s) => s.length));
  const common: string[] = [];
  for (let i = 0; i < shortest; i++) {
    const part = split[0]![i]!;
    if (!split.every((s) => s[i] === part)) break;
    common.push(part);
  }
  return join(sep, ...common);
}

export async function findFilesToUpload(path: string, workspace: string, includeHiddenFiles: boolean, info: (line: string) => void): Promise<SearchResult> {
  const { matches, searchPaths } = await glob(path, { cwd: workspace, implicitDescendants: true, excludeHiddenFiles: !includeHiddenFiles });
  const files: string[] = [];
  for (const m of matches) if (!(await stat(m)).isDirectory()) files.push(m);
  if (searchPaths.length > 1) {
    info('Multiple search paths detected. Calculating the least common ancestor of all paths');
    const lca = leastCommonAncestor(searchPaths);
    info(`The least common ancestor is ${lca}. This will be the root directory of the artifact`);
    return { files, rootDirectory: lca };
  }
  if (files.length === 1 && searchPaths[0] === files[0]) return { files, rootDirectory: dirname(files[0]!) };
  return { files, rootDirectory: searchPaths[0] ?? workspace };
}
