import type { PlanProblem } from '@helios-ci/sdk';

/** Spaces inserted at the start of a line (1-based line → count) to make the YAML package read it. */
export type ColumnShifts = Map<number, number>;

function indentOf(line: string): number {
  let n = 0;
  while (line[n] === ' ') n++;
  return n;
}

/**
 * GitHub's server-side YAML reader accepts a flow collection continued on lines indented no more
 * than its parent block (`runs-on: [a,` then `b]` in column 0); the `yaml` package refuses them
 * ("must be sufficiently indented"). This pads exactly those lines so the package reads them, and
 * says how many spaces each line got, so problem columns can be given back as written.
 *
 * A small scanner: it follows flow brackets outside quotes, comments and block scalars; a `[` or `{`
 * opens flow only where a value starts (after `: `, `- `, `? `, or inside flow), as in YAML.
 */
export function relaxFlowIndentation(text: string): { text: string; shifts: ColumnShifts } {
  const lines = text.split('\n');
  const shifts: ColumnShifts = new Map();
  let depth = 0;
  let openIndent = 0;
  let quote: '"' | "'" | null = null;
  let blockScalarIndent = -1;
  for (let li = 0; li < lines.length; li++) {
    let line = lines[li]!;
    const indent = indentOf(line);
    if (blockScalarIndent >= 0) {
      if (line.trim() === '' || indent > blockScalarIndent) continue;
      blockScalarIndent = -1;
    }
    if (depth > 0 && !quote && line.trim() !== '' && indent <= openIndent) {
      const pad = openIndent + 1 - indent;
      line = ' '.repeat(pad) + line;
      lines[li] = line;
      shifts.set(li + 1, pad);
    }
    let valueStart = depth === 0 && !quote; // at line start (after indentation) a value may start
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quote) {
        if (quote === "'" && c === "'" ) {
          if (line[i + 1] === "'") i++;
          else quote = null;
        } else if (quote === '"' && c === '\\') i++;
        else if (quote === '"' && c === '"') quote = null;
        continue;
      }
      if (c === ' ' || c === '\t') continue;
      if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) break;
      if (depth > 0) {
        if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') depth--;
        else if (c === '"' || c === "'") quote = c;
        continue;
      }
      if (valueStart && (c === '[' || c === '{')) {
        depth = 1;
        openIndent = indent;
        continue;
      }
      if (valueStart && (c === '"' || c === "'")) {
        quote = c;
        valueStart = false;
        continue;
      }
      if (valueStart && (c === '|' || c === '>')) {
        blockScalarIndent = indent;
        break;
      }
      const next = line[i + 1];
      valueStart = (c === ':' || c === '-' || c === '?') && (next === undefined || next === ' ' || next === '\t');
      if (!valueStart && c !== '-' && c !== ':' && c !== '?') {
        // Inside a plain scalar: skip to the next `: ` (a key's end) or the end of the line.
        const colon = line.indexOf(': ', i);
        if (colon < 0) break;
        i = colon;
        valueStart = true;
      }
    }
  }
  return { text: lines.join('\n'), shifts };
}

/** Problems (or anything placed in a file) of files whose lines were padded, with columns as the user wrote them. */
export function unshiftProblems<T extends Pick<PlanProblem, 'file' | 'line' | 'col'>>(problems: T[], shiftsByFile: ReadonlyMap<string, ColumnShifts>): T[] {
  if (shiftsByFile.size === 0) return problems;
  return problems.map((p) => {
    const pad = p.line !== undefined && p.col !== undefined ? shiftsByFile.get(p.file)?.get(p.line) : undefined;
    return pad ? { ...p, col: Math.max(1, p.col! - pad) } : p;
  });
}
