/**
 * Finds files and directories for a multi-line `path:` input the way GitHub's @actions/glob does:
 * patterns apply in order (a later `!pattern` removes earlier matches, a later pattern adds back),
 * only the literal prefix of each pattern is searched, symbolic links are followed (broken ones
 * skipped, cycles cut), and with `implicitDescendants` a matched directory brings everything below
 * it (upload-artifact) while without it the directory itself is the match (actions/cache, whose tar
 * then takes the whole directory).
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Stats } from 'node:fs';
import { GlobPattern, MatchKind } from './globPattern.js';

export interface GlobOptions {
  /** The directory relative patterns are rooted at (the workspace). */
  cwd: string;
  implicitDescendants: boolean;
  /** Skip (and do not descend into) names starting with '.' (upload-artifact's default). */
  excludeHiddenFiles: boolean;
}

export interface GlobResult {
  /** Absolute paths of the matches, in walk order. */
  matches: string[];
  /** The search roots of the including patterns, nested ones removed (upload-artifact's LCA input). */
  searchPaths: string[];
}

/** Parses the lines of a `path:` input; empty lines and `#` comments are skipped. */
export function parsePatterns(input: string, cwd: string): GlobPattern[] {
  return input
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => new GlobPattern(l, cwd));
}

function matchAll(patterns: GlobPattern[], item: string): MatchKind {
  let result = MatchKind.None;
  for (const p of patterns) {
    if (p.negate) result &= ~p.match(item);
    else result |= p.match(item);
  }
  return result;
}

/** Search roots of the non-negated patterns, dropping any that lies inside another. */
export function searchPathsOf(patterns: GlobPattern[]): string[] {
  const candidates = new Set(patterns.filter((p) => !p.negate).map((p) => p.searchPath));
  const result: string[] = [];
  for (const p of patterns.filter((x) => !x.negate)) {
    if (result.includes(p.searchPath)) continue;
    let dir = p.searchPath;
    let nested = false;
    while (dir !== '/') {
      dir = dir.slice(0, dir.lastIndexOf('/')) || '/';
      if (candidates.has(dir)) {
        nested = true;
        break;
      }
    }
    if (!nested) result.push(p.searchPath);
  }
  return result;
}

export async function glob(input: string, options: GlobOptions): Promise<GlobResult> {
  const written = parsePatterns(input, options.cwd);
  const patterns: GlobPattern[] = [];
  for (const p of written) {
    patterns.push(p);
    if (options.implicitDescendants && (p.directoriesOnly || !p.endsWithGlobstar)) patterns.push(p.descendants(options.cwd));
  }
  const searchPaths = searchPathsOf(written);
  const matches: string[] = [];
  const stack: { path: string; level: number }[] = [];
  for (const root of searchPathsOf(patterns).reverse()) {
    if (await exists(root)) stack.push({ path: root, level: 1 });
  }
  const chain: string[] = [];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const match = matchAll(patterns, item.path);
    const partial = match !== MatchKind.None || patterns.some((p) => !p.negate && p.partialMatch(item.path));
    if (!partial) continue;
    const stats = await statFollowing(item.path, item.level, chain);
    if (!stats) continue;
    if (options.excludeHiddenFiles && basename(item.path).startsWith('.')) continue;
    if (stats.isDirectory()) {
      if (match & MatchKind.Directory) matches.push(item.path);
      const children = (await readdir(item.path)).sort().reverse();
      for (const c of children) stack.push({ path: join(item.path, c), level: item.level + 1 });
    } else if (match & MatchKind.File) {
      matches.push(item.path);
    }
  }
  return { matches, searchPaths };
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** stat() through links; null for a broken link or a directory already on the walk's chain (a cycle). */
async function statFollowing(path: string, level: number, chain: string[]): Promise<Stats | null> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (stats.isDirectory()) {
    const real = await realpath(path);
    while (chain.length >= level) chain.pop();
    if (chain.includes(real)) return null;
    chain.push(real);
  }
  return stats;
}
