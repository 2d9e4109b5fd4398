// The Forgejo API description the stand-in checks every request (and its own answers) against:
// path templates, methods, parameters and body schemas come from forgejo-swagger.json, so a request
// the real Forgejo would not route or bind fails here too.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** plugins/forge-forgejo/dist/test/standIn → the repository root, then ../shared. */
export const SHARED_DIR = process.env.HELIOS_SHARED_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../../../../../../shared');

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'body' | 'header' | 'formData';
  type?: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { $ref?: string; schema?: Schema }>;
}
interface Spec {
  basePath: string;
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, Schema>;
  responses: Record<string, { schema?: Schema }>;
}

export interface MatchedOperation {
  template: string;
  method: string;
  operation: Operation;
  params: Record<string, string>;
}

export class Swagger {
  readonly spec: Spec;
  private readonly routes: { template: string; regex: RegExp; names: string[] }[];

  constructor(file = join(SHARED_DIR, 'specs/forgejo-swagger.json')) {
    this.spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
    this.routes = Object.keys(this.spec.paths).map((template) => {
      const names: string[] = [];
      // `{filepath}` may span slashes (Forgejo routes it with `*`); other params are one segment.
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return name === 'filepath' ? '(.+)' : '([^/]+)';
      });
      return { template, regex: new RegExp(`^${source}$`), names };
    });
    // Literal segments beat parameters (`/hooks/git` vs `/hooks/{id}`), like Forgejo's router.
    this.routes.sort((a, b) => a.names.length - b.names.length);
  }

  /** The operation for METHOD /api/v1/..., or null if the swagger has no such path or method. */
  match(method: string, apiPath: string): MatchedOperation | null | 'method-not-allowed' {
    for (const r of this.routes) {
      const m = r.regex.exec(apiPath);
      if (!m) continue;
      const operation = this.spec.paths[r.template]![method.toLowerCase()];
      if (!operation) return 'method-not-allowed';
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      return { template: r.template, method: method.toUpperCase(), operation, params };
    }
    return null;
  }

  /** Problems with the path and query parameters of a matched request. */
  checkParameters(op: MatchedOperation, query: URLSearchParams): string[] {
    const problems: string[] = [];
    const declared = op.operation.parameters ?? [];
    for (const p of declared) {
      const value = p.in === 'path' ? op.params[p.name] : p.in === 'query' ? query.get(p.name) ?? undefined : undefined;
      if (p.in !== 'path' && p.in !== 'query') continue;
      if (value === undefined) {
        if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      if (p.type === 'integer' && !/^-?\d+$/.test(value)) problems.push(`${p.in} parameter ${p.name} must be an integer, got ${JSON.stringify(value)}`);
    }
    for (const key of query.keys()) {
      if (!declared.some((p) => p.in === 'query' && p.name === key)) problems.push(`query parameter ${key} is not declared for ${op.operation.operationId}`);
    }
    return problems;
  }

  /** The body schema of an operation, if it takes a body. */
  bodySchema(op: MatchedOperation): Schema | undefined {
    return op.operation.parameters?.find((p) => p.in === 'body')?.schema;
  }

  /** The declared schema of a response status (following `#/responses/...`), if any. */
  responseSchema(op: MatchedOperation, status: number): Schema | undefined | null {
    const r = op.operation.responses[String(status)];
    if (!r) return null;
    if (r.$ref) return this.spec.responses[r.$ref.replace('#/responses/', '')]?.schema;
    return r.schema;
  }

  /**
   * Validates a value against a schema. `strict` also refuses properties the schema does not
   * declare: Forgejo silently drops them, which would hide a misspelt field in our requests.
   */
  validate(schema: Schema | undefined, value: unknown, at = 'body', strict = false): string[] {
    if (!schema) return [];
    if (typeof schema.$ref === 'string') return this.validate(this.spec.definitions[schema.$ref.replace('#/definitions/', '')], value, at, strict);
    const problems: string[] = [];
    const type = schema.type as string | undefined;
    if (value === null) return []; // Go's encoder writes null for nil pointers, slices and maps.
    if (type === 'object' || (!type && schema.properties)) {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at} must be an object`];
      const obj = value as Record<string, unknown>;
      for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in obj)) problems.push(`${at}.${key} is required`);
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const [key, v] of Object.entries(obj)) {
        if (props[key]) problems.push(...this.validate(props[key], v, `${at}.${key}`, strict));
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') problems.push(...this.validate(schema.additionalProperties as Schema, v, `${at}.${key}`, strict));
        else if (strict && schema.properties) problems.push(`${at}.${key} is not a property of this schema`);
      }
    } else if (type === 'array') {
      if (!Array.isArray(value)) return [`${at} must be an array`];
      value.forEach((v, i) => problems.push(...this.validate(schema.items as Schema, v, `${at}[${i}]`, strict)));
    } else if (type === 'string') {
      if (typeof value !== 'string') problems.push(`${at} must be a string`);
    } else if (type === 'integer') {
      if (!Number.isInteger(value)) problems.push(`${at} must be an integer`);
    } else if (type === 'number') {
      if (typeof value !== 'number') problems.push(`${at} must be a number`);
    } else if (type === 'boolean') {
      if (typeof value !== 'boolean') problems.push(`${at} must be a boolean`);
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at} must be one of ${schema.enum.join(', ')}`);
    return problems;
  }
}
