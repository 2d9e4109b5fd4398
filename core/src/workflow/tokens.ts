import { isBasicExpression, isBoolean, isMapping, isNumber, isSequence, isString, type MappingToken, type TemplateToken } from './vendor/workflowParser.js';
import type { ScalarTexts } from './inputGuard.js';
import type { Position } from './problems.js';

/** Read access to parser tokens, giving back values as the user wrote them (expressions intact). */
export class TokenReader {
  constructor(private readonly scalars: ScalarTexts) {}

  /** Scalar as text: `${{ }}` parts kept as written; numbers and booleans as YAML shows them. */
  text(token: TemplateToken | undefined): string | undefined {
    if (!token) return undefined;
    if (isString(token)) return token.value;
    if (isNumber(token) || isBoolean(token)) return String(token.value);
    if (isBasicExpression(token)) {
      const r = token.range?.start;
      // Quoted scalars: the parser's range starts after the quote, the YAML node's at it.
      const written = r ? (this.scalars.get(`${r.line}:${r.column}`) ?? this.scalars.get(`${r.line}:${r.column - 1}`)) : undefined;
      return written ?? token.source ?? `\${{ ${token.expression} }}`;
    }
    if (token.isLiteral) return ''; // null
    return undefined;
  }

  /** Any token as plain JSON; expression scalars as their written text. */
  json(token: TemplateToken | undefined): unknown {
    if (!token) return null;
    if (isMapping(token)) {
      const out: Record<string, unknown> = {};
      for (const { key, value } of token) out[this.text(key) ?? ''] = this.json(value);
      return out;
    }
    if (isSequence(token)) return [...token].map((t) => this.json(t));
    if (isNumber(token) || isBoolean(token)) return token.value;
    if (isString(token) || isBasicExpression(token)) return this.text(token);
    return null;
  }

  /** A mapping of scalars as `name → text`. */
  stringMap(token: TemplateToken | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    if (token && isMapping(token)) for (const { key, value } of token) out[this.text(key) ?? ''] = this.text(value) ?? JSON.stringify(this.json(value));
    return out;
  }
}

export function at(token: TemplateToken | undefined): Position | null {
  const s = token?.range?.start;
  return s ? { line: s.line, col: s.column } : null;
}

export function field(mapping: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return mapping && isMapping(mapping) ? mapping.find(key) : undefined;
}

/** The key token of `key` in a mapping: where "this key is wrong" problems point. */
export function keyToken(mapping: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (!mapping || !isMapping(mapping)) return undefined;
  for (const pair of mapping as MappingToken) if (isString(pair.key) && pair.key.value === key) return pair.key;
  return undefined;
}

export function entries(mapping: TemplateToken | undefined): Array<{ key: string; keyToken: TemplateToken; value: TemplateToken }> {
  if (!mapping || !isMapping(mapping)) return [];
  return [...mapping].map((p) => ({ key: isString(p.key) ? p.key.value : String(p.key), keyToken: p.key, value: p.value }));
}
