import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { PlanProblem } from '@helios-ci/sdk';
import { problem, ProblemCode } from './problems.js';

/** Larger files are refused unread: real workflows are a few KiB, and the parser's cost grows with size. */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;
/** Deeper YAML is refused: real workflows nest about 8 levels; recursion must stay far from the stack limit. */
export const MAX_NESTING_DEPTH = 64;
/** Aliases may at most expand the document to this many nodes (billion-laughs guard). */
export const MAX_EXPANDED_NODES = 100_000;

export type GuardResult = { ok: true; text: string; scalars: ScalarTexts } | { ok: false; problems: PlanProblem[] };

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

  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, keepSourceTokens: false });
  } catch (err) {
    return refuse(file, ProblemCode.yaml, `the YAML cannot be read: ${(err as Error).message}`);
  }
  if (doc.errors.length > 0) {
    // Only the first syntax error: after one, the YAML parser's follow-up errors are noise.
    const err = doc.errors[0]!;
    const message = err.code === 'TAB_AS_INDENT'
      ? 'tabs are not allowed for indentation in YAML. Indent with spaces'
      : /call stack/i.test(err.message)
        ? `the YAML nests deeper than ${MAX_NESTING_DEPTH} levels, which no workflow needs. Flatten it`
        : `${firstLine(err.message).replace(/ at line \d+, column \d+:?$/, '')}. Fix the YAML syntax`;
    const at = err.linePos?.[0];
    return refuse(file, /call stack/i.test(err.message) ? ProblemCode.refused : ProblemCode.yaml, message, at ? { line: at.line, col: at.col } : undefined);
  }
  const shape = measure(doc, lineCounter);
  if (shape.tooDeep) {
    return refuse(file, ProblemCode.refused, `the YAML nests deeper than ${MAX_NESTING_DEPTH} levels, which no workflow needs. Flatten it`, shape.tooDeep);
  }
  if (shape.bomb) {
    return refuse(file, ProblemCode.refused, `YAML aliases here expand the document to more than ${MAX_EXPANDED_NODES} values (an "alias bomb"). Write the values out instead of nesting aliases`, shape.bomb);
  }
  return { ok: true, text, scalars: scalarTexts(doc, lineCounter) };
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

/**
 * Depth and alias-expanded size, computed iteratively (no recursion, whatever the input) with the
 * expanded size of every anchored node memoised, so a bomb is measured in linear time.
 */
function measure(doc: Document, lines: LineCounter): { tooDeep?: { line: number; col: number }; bomb?: { line: number; col: number } } {
  const at = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const pos = lines.linePos(range?.[0] ?? 0);
    return { line: pos.line, col: pos.col };
  };
  const sizeOf = new Map<unknown, number>();
  // Post-order traversal: children before parents, so an alias target's size is known when needed.
  type Frame = { node: unknown; depth: number; expanded: boolean };
  const stack: Frame[] = [{ node: doc.contents, depth: 1, expanded: false }];
  let total = 0;
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    const { node, depth } = frame;
    if (depth > MAX_NESTING_DEPTH) return { tooDeep: at(node) };
    const kids = children(node);
    if (!frame.expanded) {
      frame.expanded = true;
      // Reversed so children complete in document order: an alias always follows its anchor.
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i], depth: isPair(kids[i]) ? depth : depth + 1, expanded: false });
      continue;
    }
    stack.pop();
    let size: number;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      size = target ? (sizeOf.get(target) ?? 1) : 1;
      total += size;
      if (total > MAX_EXPANDED_NODES) return { bomb: at(node) };
    } else {
      size = 1;
      for (const k of kids) size += sizeOf.get(k) ?? 1;
      if (!isPair(node)) total += 1;
    }
    sizeOf.set(node, size);
    if (size > MAX_EXPANDED_NODES) return { bomb: at(node) };
  }
  return {};
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
