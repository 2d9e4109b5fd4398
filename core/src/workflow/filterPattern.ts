/**
 * GitHub's filter patterns for branches, tags and paths
 * (docs: "Workflow syntax → Filter pattern cheat sheet"): `*` any characters but `/`, `**` any
 * characters, `?` zero or one of the preceding character, `+` one or more of it, `[...]` one
 * character of a set or range, `\` escapes the next character, a leading `!` negates.
 */
const cache = new Map<string, RegExp>();

export function filterPatternToRegExp(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` also matches no directory at all: `**/README.md` matches `README.md`.
        if (pattern[i + 1] === '/') (i++, (re += '(?:.*/)?'));
        else re += '.*';
      } else {
        re += '[^/]*';
      }
    } else if (c === '?' || c === '+') {
      re += c;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
      } else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\').replace(/^!/, '^');
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escape(pattern[++i]!);
    } else {
      re += escape(c);
    }
  }
  const compiled = new RegExp(`^${re}$`);
  cache.set(pattern, compiled);
  return compiled;
}

function escape(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/**
 * Whether `value` is selected by a pattern list: patterns apply in order, each matching positive
 * pattern selects, each matching `!` pattern deselects, and the last word wins.
 */
export function matchesFilters(patterns: readonly string[], value: string): boolean {
  let selected = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (filterPatternToRegExp(negated ? p.slice(1) : p).test(value)) selected = !negated;
  }
  return selected;
}
