import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { PlanProblem } from '@helios-ci/sdk';
import { problem, ProblemCode } from './problems.js';
import { aliasTargets } from './aliasTargets.js';
import { relaxFlowIndentation, type ColumnShifts } from './flowIndent.js';

/** Larger files are refused unread: real workflows are a few KiB, and the parser's cost grows with size. */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;
/** Deeper YAML is refused: real workflows nest about 8 levels; recursion must stay far from the stack limit. */
export const MAX_NESTING_DEPTH = 64;
/** Values a file may hold as written: real workflows have a few thousand; parsing cost grows with them. */
export const MAX_NODES = 100_000;
/** Aliases may at most expand the document to this many values (billion-laughs guard). */
export const MAX_EXPANDED_NODES = 100_000;
/** Alias expansions (each copy of an alias inside anchored content counts): bounds the parser's alias work. */
export const MAX_ALIAS_EXPANSIONS = 10_000;

export type GuardResult = { ok: true; text: string; scalars: ScalarTexts; shape: InputShape; shifts: ColumnShifts } | { ok: false; problems: PlanProblem[]; shape?: InputShape };

function lineColOfByte(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) (line++, (start = i + 1));
  return { line, col: offset - start + 1 };
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Checks what GitHub's parser would choke or hang on, before it runs: size, binary content, invalid
 * UTF-8, YAML syntax, nesting depth and alias expansion (the parser expands aliases eagerly, so an
 * alias bomb would otherwise take forever). Returns the text to parse, without a byte-order mark.
 */
export function guardWorkflowInput(file: string, content: string | Uint8Array): GuardResult {
  const size = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength;
  if (size > MAX_WORKFLOW_BYTES) {
    return refuse(file, ProblemCode.unreadable, `the file is ${(size / (1024 * 1024)).toFixed(1)} MiB; Helios reads workflow files of at most 1 MiB. Split it into several workflows or move long scripts into files of the repository`);
  }
  let text: string;
  if (typeof content === 'string') {
    text = content;
  } else {
    const nul = content.indexOf(0);
    if (nul >= 0) return refuse(file, ProblemCode.unreadable, 'the file contains NUL bytes, so it is binary, not a YAML workflow. Remove it from the workflow folder', lineColOfByte(content, nul));
    const bad = firstInvalidUtf8(content);
    if (bad >= 0) return refuse(file, ProblemCode.unreadable, 'the file is not valid UTF-8 (YAML workflows must be UTF-8). Re-save it as UTF-8', lineColOfByte(content, bad));
    text = new TextDecoder('utf-8').decode(content);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const nul = text.indexOf('\0');
  if (nul >= 0) return refuse(file, ProblemCode.unreadable, 'the file contains NUL characters, so it is binary, not a YAML workflow. Remove it from the workflow folder', positionOf(text, nul));

  let lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, keepSourceTokens: false });
  } catch (err) {
    return refuse(file, ProblemCode.yaml, `the YAML cannot be read: ${(err as Error).message}`);
  }
  let shifts: ColumnShifts = new Map();
  if (doc.errors.length > 0 && doc.errors.some((e) => e.code === 'BAD_INDENT')) {
    // GitHub accepts flow collections continued at a lower indentation; read them as it does when
    // padding those lines is all it takes (positions are given back through shifts).
    const relaxed = relaxFlowIndentation(text);
    if (relaxed.shifts.size > 0) {
      const retry = new LineCounter();
      const again = parseDocument(relaxed.text, { lineCounter: retry, uniqueKeys: false, keepSourceTokens: false });
      if (again.errors.length === 0) ({ text, shifts } = relaxed), (doc = again), (lineCounter = retry);
    }
  }
  if (doc.errors.length > 0) {
    // Only the first syntax error: after one, the YAML parser's follow-up errors are noise.
    const err = doc.errors[0]!;
    const message = err.code === 'TAB_AS_INDENT'
      ? 'tabs are not allowed for indentation in YAML. Indent with spaces'
      : /call stack/i.test(err.message)
        ? `the YAML nests deeper than ${MAX_NESTING_DEPTH} levels (limit: nesting depth), which no workflow needs. Flatten it`
        : `${firstLine(err.message).replace(/ at line \d+, column \d+:?$/, '')}. Fix the YAML syntax`;
    const at = err.linePos?.[0];
    return refuse(file, /call stack/i.test(err.message) ? ProblemCode.refused : ProblemCode.yaml, message, at ? { line: at.line, col: at.col } : undefined);
  }
  const { shape, limit } = measure(doc, lineCounter);
  if (limit) return { ok: false, problems: [problem(file, ProblemCode.refused, limitMessage(limit.what, shape), limit.at)], shape };
  return { ok: true, text, scalars: scalarTexts(doc, lineCounter), shape, shifts };
}

/** Each limit its own message, with the number counted when the guard stopped and the limit. */
function limitMessage(what: Limit['what'], shape: InputShape): string {
  switch (what) {
    case 'depth':
      return `the YAML nests deeper than ${MAX_NESTING_DEPTH} levels (limit: nesting depth, counting what aliases expand to), which no workflow needs. Flatten it`;
    case 'nodes':
      return `the YAML has more than ${MAX_NODES} values (limit: values per file; counted ${shape.nodes} before stopping). Split it into several workflows`;
    case 'aliasExpansions':
      return `YAML aliases here would be expanded ${shape.aliasExpansions} times (limit: ${MAX_ALIAS_EXPANSIONS} alias expansions per file). Write the values out, or reuse less through aliases`;
    case 'expandedNodes':
      return `YAML aliases here expand the document to ${shape.expandedNodes} values (limit: ${MAX_EXPANDED_NODES} values after alias expansion; an "alias bomb"). Write the values out instead of nesting aliases`;
  }
}

function refuse(file: string, code: string, message: string, at?: { line: number; col: number }): GuardResult {
  return { ok: false, problems: [problem(file, code, message, at)] };
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return (i < 0 ? s : s.slice(0, i)).trim();
}

function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) (line++, (start = i + 1));
  return { line, col: offset - start + 1 };
}

/** What the guard counted; tests assert on it, and it says how far counting went before a refusal. */
export interface InputShape {
  /** Values written in the file (mappings, sequences, scalars; an alias counts as one). */
  nodes: number;
  /** Values once every alias is replaced by what it stands for (what the parser would build). */
  expandedNodes: number;
  /** Alias expansions the parser would perform (aliases inside anchored content count per copy). */
  aliasExpansions: number;
  /** Deepest nesting, counting what aliases expand to. */
  depth: number;
}

type Limit = { what: 'depth' | 'nodes' | 'expandedNodes' | 'aliasExpansions'; at: { line: number; col: number } };

/**
 * Depth, size and alias expansion, computed iteratively (no recursion, whatever the input) with the
 * expanded size of every node memoised and every alias resolved from one walk (aliasTargets), so
 * measuring is linear in the file whatever it expands to. Stops at the first limit it crosses.
 */
function measure(doc: Document, lines: LineCounter): { shape: InputShape; limit?: Limit } {
  const at = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const pos = lines.linePos(range?.[0] ?? 0);
    return { line: pos.line, col: pos.col };
  };
  const targets = aliasTargets(doc);
  type Measured = { size: number; aliases: number; height: number };
  const measured = new Map<unknown, Measured>();
  const shape: InputShape = { nodes: 0, expandedNodes: 0, aliasExpansions: 0, depth: 0 };
  // Post-order traversal: children before parents, so an alias target is measured when needed.
  type Frame = { node: unknown; depth: number; expanded: boolean };
  const stack: Frame[] = [{ node: doc.contents, depth: 1, expanded: false }];
  const stop = (what: Limit['what'], node: unknown) => ({ shape, limit: { what, at: at(node) } });
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    const { node, depth } = frame;
    if (depth > MAX_NESTING_DEPTH) return (shape.depth = depth), stop('depth', node);
    const kids = children(node);
    if (!frame.expanded) {
      frame.expanded = true;
      // Reversed so children complete in document order: an alias always follows its anchor.
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i], depth: isPair(kids[i]) ? depth : depth + 1, expanded: false });
      continue;
    }
    stack.pop();
    let m: Measured;
    if (isAlias(node)) {
      // A target still open (an alias inside its own anchor) expands to nothing, as in GitHub's reader.
      const target = measured.get(targets.get(node));
      m = { size: target?.size ?? 1, aliases: 1 + (target?.aliases ?? 0), height: target?.height ?? 1 };
      shape.nodes += 1;
      shape.expandedNodes += m.size;
      shape.aliasExpansions += m.aliases;
    } else {
      m = { size: isPair(node) ? 0 : 1, aliases: 0, height: 0 };
      for (const k of kids) {
        const c = measured.get(k);
        m.size += c?.size ?? 1;
        m.aliases += c?.aliases ?? 0;
        m.height = Math.max(m.height, c?.height ?? 1);
      }
      if (!isPair(node)) (m.height += 1), (shape.nodes += 1), (shape.expandedNodes += 1);
    }
    measured.set(node, m);
    shape.depth = Math.max(shape.depth, depth - 1 + m.height);
    if (shape.nodes > MAX_NODES) return stop('nodes', node);
    if (shape.aliasExpansions > MAX_ALIAS_EXPANSIONS || m.aliases > MAX_ALIAS_EXPANSIONS) return stop('aliasExpansions', node);
    if (shape.expandedNodes > MAX_EXPANDED_NODES || m.size > MAX_EXPANDED_NODES) return stop('expandedNodes', node);
    if (shape.depth > MAX_NESTING_DEPTH) return stop('depth', node);
  }
  return { shape };
}

function children(node: unknown): unknown[] {
  if (isMap(node) || isSeq(node)) return (node.items as unknown[]).filter((n) => n != null);
  if (isPair(node)) return [node.key, node.value].filter((n) => n != null);
  if (isScalar(node) || isAlias(node)) return [];
  return [];
}


/**
 * String values by `line:col` of their first character. The parser turns `a ${{ b }}` into
 * `format('a {0}', b)` and keeps block scalars only as raw source; the plan keeps expressions as
 * written, so it takes the text from here.
 */
export type ScalarTexts = Map<string, string>;

function scalarTexts(doc: Document, lines: LineCounter): ScalarTexts {
  const map: ScalarTexts = new Map();
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isScalar(node)) {
      if (typeof node.value === 'string' && node.range) {
        const p = lines.linePos(node.range[0]);
        map.set(`${p.line}:${p.col}`, node.value);
      }
    } else if (!isAlias(node)) {
      stack.push(...children(node));
    }
  }
  return map;
}
