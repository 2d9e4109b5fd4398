/**
 * A validator for the JSON-schema subset GitHub's OpenAPI description uses in the request bodies
 * the stand-in checks: type (+ nullable), enum, properties, required, additionalProperties, items,
 * minItems/maxItems, minLength/maxLength, anyOf/oneOf/allOf, $ref and format date-time.
 */
export type Schema = Record<string, unknown>;

export interface SchemaProblem {
  path: string;
  message: string;
}

const KNOWN = new Set([
  'type', 'nullable', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minLength', 'maxLength',
  'anyOf', 'oneOf', 'allOf', '$ref', 'format', 'description', 'default', 'example', 'examples', 'title', 'readOnly', 'deprecated', 'x-github',
]);

export class SchemaValidator {
  constructor(private readonly root: Record<string, unknown>) {}

  /** Resolves `#/a/b/c` in the document. */
  resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (!node || typeof node !== 'object') throw new Error(`unresolvable $ref ${ref}`);
    return node as Schema;
  }

  validate(schema: Schema, value: unknown, path = 'body'): SchemaProblem[] {
    const problems: SchemaProblem[] = [];
    this.check(schema, value, path, problems);
    return problems;
  }

  private check(schema: Schema, value: unknown, path: string, out: SchemaProblem[]): void {
    if (typeof schema.$ref === 'string') return this.check(this.resolve(schema.$ref), value, path, out);
    for (const key of Object.keys(schema)) {
      // A keyword this validator does not know would be silently ignored: fail loudly instead.
      if (!KNOWN.has(key)) throw new Error(`schema keyword "${key}" at ${path} is not supported by the stand-in's validator`);
    }
    if (value === null) {
      if (schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes('null'))) return;
      if (schema.type !== undefined) out.push({ path, message: `${path} must not be null` });
      return;
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => isType(t, value))) {
        out.push({ path, message: `${path} is not of type ${types.join(' or ')}` });
        return;
      }
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) out.push({ path, message: `${path} is not one of ${JSON.stringify(schema.enum)}` });
    if (typeof value === 'string') {
      if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) out.push({ path, message: `${path} is too long (maximum is ${schema.maxLength} characters)` });
      if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) out.push({ path, message: `${path} is too short (minimum is ${schema.minLength} characters)` });
      if (schema.format === 'date-time' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) out.push({ path, message: `${path} is not an ISO 8601 date-time` });
    }
    if (Array.isArray(value)) {
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) out.push({ path, message: `${path} has ${value.length} items (maximum is ${schema.maxItems})` });
      if (typeof schema.minItems === 'number' && value.length < schema.minItems) out.push({ path, message: `${path} has ${value.length} items (minimum is ${schema.minItems})` });
      if (schema.items && typeof schema.items === 'object') value.forEach((v, i) => this.check(schema.items as Schema, v, `${path}[${i}]`, out));
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
      for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) out.push({ path, message: `${path}.${r} is missing` });
      for (const [k, v] of Object.entries(obj)) {
        if (props[k]) this.check(props[k], v, `${path}.${k}`, out);
        else if (schema.additionalProperties === false) out.push({ path, message: `${path}.${k} is not a permitted key` });
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') this.check(schema.additionalProperties as Schema, v, `${path}.${k}`, out);
      }
    }
    if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) this.check(s, value, path, out);
    if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
      const branches = (schema.anyOf ?? schema.oneOf) as Schema[];
      const matching = branches.filter((b) => this.validate(b, value, path).length === 0).length;
      if (matching === 0) out.push({ path, message: `${path} matches none of the allowed shapes (${branches.map((b) => JSON.stringify(this.validate(b, value, path).map((p) => p.message))).join(' | ')})` });
      if (schema.oneOf && matching > 1) out.push({ path, message: `${path} matches more than one allowed shape` });
    }
  }
}

function isType(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`unsupported schema type ${type}`);
  }
}
