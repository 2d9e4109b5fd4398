import { readFileSync } from 'node:fs';
import { SchemaValidator, type Schema, type SchemaProblem } from './schemaValidator.js';

export interface ParamSpec {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
  'x-multi-segment'?: boolean;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  params: ParamSpec[];
  body: Schema | null;
  bodyRequired: boolean;
  regex: RegExp;
  pathParams: string[];
}

export interface Matched {
  op: Operation;
  params: Record<string, string>;
}

/** GitHub's OpenAPI description (the subset file): routes, parameters and request body schemas. */
export class OpenApi {
  readonly ops: Operation[] = [];
  readonly validator: SchemaValidator;

  constructor(file: string) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    this.validator = new SchemaValidator(doc as unknown as Record<string, unknown>);
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const [method, raw] of Object.entries(methods)) {
        if (method === 'parameters') continue;
        const params = ((raw.parameters as Schema[] | undefined) ?? []).map((p) => (typeof p.$ref === 'string' ? this.validator.resolve(p.$ref) : p) as unknown as ParamSpec);
        const multi = new Set(params.filter((p) => p['x-multi-segment']).map((p) => p.name));
        const pathParams: string[] = [];
        const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a: string, b: string) => {
          const name = a ?? b;
          pathParams.push(name);
          return multi.has(name) ? '(.+)' : '([^/]+)';
        });
        const rb = raw.requestBody as { required?: boolean; content?: Record<string, { schema?: Schema }> } | undefined;
        this.ops.push({
          method: method.toUpperCase(),
          template,
          operationId: String(raw.operationId),
          params,
          body: rb?.content?.['application/json']?.schema ?? null,
          bodyRequired: rb?.required === true,
          regex: new RegExp(`^${pattern}$`),
          pathParams,
        });
      }
    }
  }

  /** The operation for a method and path (null: GitHub has no such route in the description). */
  match(method: string, path: string): Matched | null {
    for (const op of this.ops) {
      if (op.method !== method) continue;
      const m = op.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      op.pathParams.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      return { op, params };
    }
    return null;
  }

  /** Checks path and query parameters and the JSON body against the operation. */
  validate(m: Matched, query: URLSearchParams, body: unknown): SchemaProblem[] {
    const problems: SchemaProblem[] = [];
    for (const p of m.op.params) {
      const raw = p.in === 'path' ? m.params[p.name] : p.in === 'query' ? query.get(p.name) : undefined;
      if (p.in === 'header') continue;
      if (raw === undefined || raw === null) {
        if (p.required) problems.push({ path: p.name, message: `${p.in} parameter ${p.name} is missing` });
        continue;
      }
      const type = p.schema?.type;
      const value = type === 'integer' || type === 'number' ? (/^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw) : type === 'boolean' ? raw === 'true' ? true : raw === 'false' ? false : raw : raw;
      if (p.schema) problems.push(...this.validator.validate(p.schema, value, `${p.in} parameter ${p.name}`));
    }
    if (m.op.body) {
      if (body === undefined) {
        if (m.op.bodyRequired) problems.push({ path: 'body', message: 'a JSON body is required' });
      } else {
        problems.push(...this.validator.validate(m.op.body, body));
      }
    }
    return problems;
  }
}
