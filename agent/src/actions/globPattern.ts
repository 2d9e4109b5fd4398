/**
 * One line of a multi-line `path:` input, with the rules of GitHub's @actions/glob (which
 * actions/cache and actions/upload-artifact search with): `!` negates (repeatable), `~` is the home
 * directory, relative patterns are rooted at the workspace, `.`/`..` segments are refused, a trailing
 * `/` matches directories only, and matching is minimatch with dot files included and no braces,
 * extglobs or comments. POSIX paths only (the agent runs on Linux, illumos and macOS).
 */
import { homedir } from 'node:os';
import { Minimatch } from 'minimatch';

/** What a pattern matched: nothing, directories only (trailing `/`), or anything. */
export const enum MatchKind {
  None = 0,
  Directory = 1,
  File = 2,
  All = 3,
}

const MINIMATCH_OPTIONS = { dot: true, nobrace: true, nocomment: true, noext: true, nonegate: true } as const;

/** `*`, `?` and `[` in a literal path (the workspace, the home directory) must not act as globs. */
export function globEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/(\[)(?=[^/]+\])/g, '[[]').replace(/\?/g, '[?]').replace(/\*/g, '[*]');
}

/** The literal text of a pattern segment, or '' when it holds a wildcard. `[x]` is the literal x. */
export function literalOf(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) {
      out += segment[++i];
      continue;
    }
    if (c === '*' || c === '?') return '';
    if (c === '[' && i + 1 < segment.length) {
      const close = segment.indexOf(']', i + 1);
      if (close > 0) {
        const set = segment.slice(i + 1, close).replace(/\\(.)/g, '$1');
        if (set.length > 1) return '';
        if (set.length === 1) {
          out += set;
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

const collapse = (p: string): string => p.replace(/\/{2,}/g, '/');
const trimTrailing = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

export class GlobPattern {
  readonly negate: boolean;
  /** Absolute; the first segment is '' (the root), then one segment per path component. */
  readonly segments: string[];
  /** The literal directory before the first wildcard segment: where the search starts. */
  readonly searchPath: string;
  readonly directoriesOnly: boolean;
  private readonly matcher: Minimatch;

  /**
   * `implicit`: added by the globber for "and everything below" (`<pattern>/**`); such a pattern
   * does not match the directory itself.
   */
  constructor(line: string, cwd: string, readonly implicit = false) {
    let pattern = line.trim();
    let negate = false;
    while (pattern.startsWith('!')) {
      negate = !negate;
      pattern = pattern.slice(1).trim();
    }
    if (!pattern) throw new Error(`Invalid pattern '${line.trim()}': nothing follows the '!'`);
    this.negate = negate;
    const written = collapse(pattern).split('/').map(literalOf);
    if (!written.every((s, i) => (s !== '.' || i === 0) && s !== '..')) {
      throw new Error(`Invalid pattern '${pattern}'. Relative pathing '.' and '..' is not allowed.`);
    }
    if (pattern === '.' || pattern.startsWith('./')) pattern = globEscape(cwd) + pattern.slice(1);
    else if (pattern === '~' || pattern.startsWith('~/')) pattern = globEscape(homedir()) + pattern.slice(1);
    else if (!pattern.startsWith('/')) pattern = `${globEscape(cwd)}/${pattern}`;
    pattern = collapse(pattern);
    this.directoriesOnly = pattern.length > 1 && pattern.endsWith('/');
    pattern = trimTrailing(pattern);
    this.segments = pattern === '/' ? [''] : pattern.split('/');
    const literal: string[] = [];
    for (const s of this.segments) {
      const l = s === '' ? '' : literalOf(s);
      if (s !== '' && l === '') break;
      literal.push(l);
    }
    this.searchPath = literal.length <= 1 ? '/' : literal.join('/');
    this.matcher = new Minimatch(pattern, MINIMATCH_OPTIONS);
  }

  /** The same pattern with `/**` appended (the globber's implicit descendants). */
  descendants(cwd: string): GlobPattern {
    const text = `${this.segments.join('/') || ''}/**`;
    return new GlobPattern(`${this.negate ? '!' : ''}${text}`, cwd, true);
  }

  get endsWithGlobstar(): boolean {
    return this.segments[this.segments.length - 1] === '**';
  }

  match(itemPath: string): MatchKind {
    let p = trimTrailing(itemPath);
    // minimatch matches `/a/**` against `/a/` but not `/a`; a written `/a/**` includes `a` itself.
    if (this.endsWithGlobstar && !this.implicit) p = `${p}/`;
    if (!this.matcher.match(p)) return MatchKind.None;
    return this.directoriesOnly ? MatchKind.Directory : MatchKind.All;
  }

  /** Whether something below `itemPath` could match (so the walk must descend into it). */
  partialMatch(itemPath: string): boolean {
    const p = trimTrailing(itemPath);
    if (p === '/') return true;
    return this.matcher.matchOne(p.split(/\/+/), this.matcher.set[0]!, true);
  }
}
