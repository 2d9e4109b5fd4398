/**
 * The syntax of warm paths (`Runtime.warmPaths`, `JobSpec.warmPaths`), shared by the runtimes that
 * read them from their configuration and the agent that links them, so both refuse the same things.
 *
 * A warm path is `~/<rest>` (under the job's HOME) or `<rest>` (relative to the job's workspace).
 * `<rest>` is one or more `/`-separated segments of `[A-Za-z0-9._+@=,-]`, never `.` or `..`:
 * nothing absolute, nothing that climbs out, nothing the agent would have to quote.
 */

/** Most warm paths one label may have: each is a directory of the warm volume and a link to set up. */
export const MAX_WARM_PATHS = 16;

const SEGMENT = /^[A-Za-z0-9._+@=,-]{1,255}$/;

/** A warm path split into where it starts and its segments. */
export interface ParsedWarmPath {
  base: 'home' | 'workspace';
  segments: string[];
}

/** Why `path` is not a warm path, or null when it is one. */
export function warmPathProblem(path: string): string | null {
  const parsed = parseWarmPath(path);
  return typeof parsed === 'string' ? parsed : null;
}

/** The parsed path, or the reason it is refused. */
export function parseWarmPath(path: string): ParsedWarmPath | string {
  if (typeof path !== 'string' || path.length === 0) return 'a warm path must be a non-empty string';
  if (path.length > 1024) return `warm path ${JSON.stringify(path.slice(0, 40))}… is longer than 1024 characters`;
  const shown = JSON.stringify(path);
  if (path.startsWith('/')) return `warm path ${shown} is absolute; write ~/… for a path under the job's HOME or a path relative to the workspace`;
  if (path === '~' || path === '~/') return `warm path ${shown} is the job's HOME itself; name a directory under it, e.g. ~/.cargo/registry`;
  const home = path.startsWith('~/');
  if (path.startsWith('~') && !home) return `warm path ${shown}: only ~/ (the job's own HOME) is understood, not ~user`;
  const rest = home ? path.slice(2) : path;
  const segments = rest.split('/');
  if (!home && segments.every((s) => s === '.' || s === '')) return `warm path ${shown} is the workspace itself; name a directory in it, e.g. target`;
  for (const s of segments) {
    if (s === '') return `warm path ${shown} has an empty segment (// or a trailing /)`;
    if (s === '..') return `warm path ${shown} contains ..; a warm path stays under the workspace or the job's HOME`;
    if (s === '.') return `warm path ${shown} contains a . segment; write it without`;
    if (!SEGMENT.test(s)) return `warm path ${shown} has characters outside [A-Za-z0-9._+@=,-] in ${JSON.stringify(s)}`;
  }
  if (!home && segments[0] === '.git') return `warm path ${shown} is inside the repository's .git directory`;
  return { base: home ? 'home' : 'workspace', segments };
}

/** Why a label's list of warm paths is not usable (each path, duplicates, nesting, count), or null. */
export function warmPathListProblem(paths: readonly string[]): string | null {
  if (paths.length > MAX_WARM_PATHS) return `${paths.length} warm paths; at most ${MAX_WARM_PATHS} are allowed`;
  const parsed: { path: string; key: string }[] = [];
  for (const path of paths) {
    const p = parseWarmPath(path);
    if (typeof p === 'string') return p;
    parsed.push({ path, key: `${p.base}:${p.segments.join('/')}/` });
  }
  for (const a of parsed) {
    for (const b of parsed) {
      if (a === b) continue;
      if (a.key === b.key) return `warm path ${JSON.stringify(a.path)} is listed twice`;
      // One warm path inside another would be linked into the other's volume directory.
      if (b.key.startsWith(a.key)) return `warm path ${JSON.stringify(b.path)} is inside warm path ${JSON.stringify(a.path)}; list only the outer one`;
    }
  }
  return null;
}
