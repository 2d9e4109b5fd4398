import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared specs and fixtures: HELIOS_SHARED_DIR, or the nearest `shared/` beside an ancestor of this file. */
export const SHARED = process.env.HELIOS_SHARED_DIR ?? findShared(dirname(fileURLToPath(import.meta.url)));

function findShared(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'shared/specs/vault-openapi-subset.json'))) return join(dir, 'shared');
  }
  throw new Error(`shared/specs/vault-openapi-subset.json not found above ${from}; set HELIOS_SHARED_DIR`);
}
const SPEC_FILE = join(SHARED, 'specs/vault-openapi-subset.json');

export function vaultFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(SHARED, 'fixtures/vault', name), 'utf8')) as T;
}

type Schema = { type?: string; properties?: Record<string, Schema>; $ref?: string; format?: string };
interface Operation {
  operationId: string;
  unauthenticated: boolean;
  body: Schema | null;
  bodyRequired: boolean;
  /** Query parameters Vault accepts: the declared ones plus the path's fields (Vault maps GET query to fields). */
  query: Map<string, Schema>;
}

/**
 * What the subset says about one request: which operation it is, whether it needs a token, and
 * what its body and query may hold. Answers `problem` (status + Vault error) for what Vault rejects.
 */
export class VaultSpec {
  private readonly doc = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, Schema> };
  };

  constructor(readonly kvMounts: string[], readonly approleMounts: string[]) {}

  /** Matches `/v1/...` against the subset's templates, given the mounts this Vault has. */
  match(path: string): { template: string; params: Record<string, string> } | null {
    if (path === '/auth/token/lookup-self' || path === '/auth/token/renew-self') return { template: path, params: {} };
    for (const m of this.approleMounts) if (path === `/auth/${m}/login`) return { template: '/auth/{approle_mount_path}/login', params: { approle_mount_path: m } };
    for (const m of this.kvMounts) {
      for (const kind of ['data', 'metadata']) {
        const prefix = `/${m}/${kind}/`;
        if (path.startsWith(prefix) && path.length > prefix.length) return { template: `/{kv_v2_mount_path}/${kind}/{path}`, params: { kv_v2_mount_path: m, path: path.slice(prefix.length) } };
      }
    }
    return null;
  }

  operation(template: string, method: string): Operation | null {
    const item = this.doc.paths[template] as Record<string, Record<string, unknown>> | undefined;
    const raw = item?.[method.toLowerCase()];
    if (!item || !raw) return null;
    const body = (raw.requestBody as { required?: boolean; content?: Record<string, { schema: Schema }> } | undefined) ?? null;
    const query = new Map<string, Schema>();
    for (const p of (raw.parameters as { name: string; in: string; schema: Schema }[] | undefined) ?? []) if (p.in === 'query') query.set(p.name, p.schema);
    // Vault's framework treats a GET's query parameters as the path's fields (e.g. ?version=N).
    const post = (item.post as Record<string, unknown> | undefined)?.requestBody as { content?: Record<string, { schema: Schema }> } | undefined;
    const fields = this.deref(post?.content?.['application/json']?.schema);
    if (method === 'GET') for (const [k, s] of Object.entries(fields?.properties ?? {})) query.set(k, s);
    return {
      operationId: String(raw.operationId),
      unauthenticated: (item as Record<string, unknown>)['x-vault-unauthenticated'] === true,
      body: this.deref(body?.content?.['application/json']?.schema) ?? null,
      bodyRequired: body?.required === true,
      query,
    };
  }

  /** Problems of a JSON body against the operation's schema (type, properties; unknown fields refused). */
  checkBody(schema: Schema, value: unknown): string[] {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['the request body must be a JSON object'];
    const out: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const prop = schema.properties?.[k];
      if (!prop) out.push(`unknown field "${k}" (not in ${Object.keys(schema.properties ?? {}).join(', ')})`);
      else if (!fits(this.deref(prop)!, v)) out.push(`field "${k}" is not of type ${prop.type}${prop.format ? ` (${prop.format})` : ''}`);
    }
    return out;
  }

  checkQuery(op: Operation, query: URLSearchParams): string[] {
    const out: string[] = [];
    for (const [k, v] of query) {
      const s = op.query.get(k);
      if (!s) out.push(`unknown query parameter "${k}"`);
      else if (s.type === 'integer' && !/^\d+$/.test(v)) out.push(`query parameter "${k}" must be an integer`);
    }
    return out;
  }

  private deref(s: Schema | undefined): Schema | undefined {
    if (s?.$ref) return this.doc.components.schemas[s.$ref.replace('#/components/schemas/', '')];
    return s;
  }
}

function fits(s: Schema, v: unknown): boolean {
  switch (s.type) {
    case 'string':
      // Vault parses duration strings ("1h", "90s", "3600").
      return typeof v === 'string' && (s.format !== 'duration' || /^\d+(\.\d+)?(ns|us|ms|s|m|h)?$/.test(v));
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    default:
      return true;
  }
}
