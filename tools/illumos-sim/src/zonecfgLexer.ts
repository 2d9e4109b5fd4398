/**
 * Splits zonecfg input into commands: one per line or per `;`, words separated by blanks, `=` its
 * own token, `"..."` quoting (with \" and \\), `#` comments, and `[a,b]` property lists.
 */
import { SimError } from './simError.js';

export class LexError extends SimError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface Token {
  text: string;
  /** Quoted text or a list: never an operator. */
  kind: 'word' | 'quoted' | 'equals' | 'list';
  items?: string[];
}

export interface Command {
  tokens: Token[];
  line: number;
}

export function lex(input: string): Command[] {
  const commands: Command[] = [];
  let tokens: Token[] = [];
  let line = 1;
  let startLine = 1;
  let i = 0;
  const flush = () => {
    if (tokens.length) commands.push({ tokens, line: startLine });
    tokens = [];
  };
  while (i < input.length) {
    const c = input[i]!;
    if (c === '\n' || c === ';') {
      flush();
      if (c === '\n') line++;
      i++;
      startLine = line;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (tokens.length === 0) startLine = line;
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
      continue;
    }
    if (c === '=') {
      tokens.push({ text: '=', kind: 'equals' });
      i++;
      continue;
    }
    if (c === '"') {
      const [text, next] = readQuoted(input, i, line);
      tokens.push({ text, kind: 'quoted' });
      i = next;
      continue;
    }
    if (c === '[') {
      const items: string[] = [];
      i++;
      let current = '';
      let closed = false;
      while (i < input.length) {
        const d = input[i]!;
        if (d === '\n') break;
        if (d === ']') {
          closed = true;
          i++;
          break;
        }
        if (d === '"') {
          const [text, next] = readQuoted(input, i, line);
          current += text;
          i = next;
          continue;
        }
        if (d === ',') {
          items.push(current.trim());
          current = '';
        } else current += d;
        i++;
      }
      if (!closed) throw new LexError(`syntax error: unterminated list (missing ']')`, line);
      if (current.trim() !== '' || items.length) items.push(current.trim());
      tokens.push({ text: `[${items.join(',')}]`, kind: 'list', items });
      continue;
    }
    // A word runs to a blank or ';'. It splits at its first unquoted '=' (name=value), and
    // everything after that is the value, '=' included (value=pool/ci/job1,serial=JOB1).
    let left = '';
    let right: string | null = null;
    let quotedRight = false;
    while (i < input.length && !/[\s;]/.test(input[i]!)) {
      const d = input[i]!;
      if (d === '"') {
        const [text, next] = readQuoted(input, i, line);
        if (right === null) left += text;
        else {
          right += text;
          quotedRight = true;
        }
        i = next;
        continue;
      }
      if (d === '[' && right !== null && right === '') break;
      if (d === '=' && right === null) right = '';
      else if (right === null) left += d;
      else right += d;
      i++;
    }
    if (left !== '') tokens.push({ text: left, kind: 'word' });
    if (right !== null) {
      tokens.push({ text: '=', kind: 'equals' });
      if (right !== '' || quotedRight) tokens.push({ text: right, kind: quotedRight ? 'quoted' : 'word' });
    }
  }
  flush();
  return commands;
}

function readQuoted(input: string, at: number, line: number): [string, number] {
  let i = at + 1;
  let text = '';
  while (i < input.length && input[i] !== '"') {
    if (input[i] === '\\' && i + 1 < input.length) i++;
    if (input[i] === '\n') throw new LexError(`syntax error: unterminated quoted string`, line);
    text += input[i++];
  }
  if (i >= input.length) throw new LexError(`syntax error: unterminated quoted string`, line);
  return [text, i + 1];
}
