import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigProblem } from './problems.js';
import type { PositionOf } from './validate.js';

export type RefKind = 'secret' | 'env' | 'file';

/** A `{ secret | env | file: "..." }` value found in a plugin config. */
export interface RefSite {
  path: (string | number)[];
  kind: RefKind;
  ref: string;
}

const KINDS: RefKind[] = ['secret', 'env', 'file'];

export function isRef(value: unknown): value is Record<RefKind, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && KINDS.includes(keys[0] as RefKind) && typeof (value as Record<string, unknown>)[keys[0]!] === 'string';
}

export function findRefs(value: unknown, path: (string | number)[] = []): RefSite[] {
  // The config mapping itself is never a reference: a plugin option named "file" must stay itself.
  if (path.length > 0 && isRef(value)) {
    const kind = Object.keys(value)[0] as RefKind;
    return [{ path, kind, ref: value[kind] }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => findRefs(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => findRefs(v, [...path, k]));
  return [];
}

export function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return root;
}

export interface LocalRefContext {
  configDir: string;
  env: NodeJS.ProcessEnv;
  positionOf: PositionOf;
  /** Called with each resolved value, so it can be redacted everywhere. */
  onValue(value: string): void;
  /** Called with the absolute path of each `{ file }` reference: a credential no job may read. */
  onFile?(path: string): void;
}

/**
 * Resolves `{ env }` and `{ file }` references in place (on a copy); `{ secret }` references need
 * the secrets backend and are resolved later by the kernel.
 */
export function resolveLocalRefs(
  config: unknown,
  prefix: (string | number)[],
  ctx: LocalRefContext,
): { value: unknown; secretSites: RefSite[]; problems: ConfigProblem[] } {
  let value = structuredClone(config);
  const problems: ConfigProblem[] = [];
  const secretSites: RefSite[] = [];
  for (const site of findRefs(value)) {
    const full = [...prefix, ...site.path];
    const where = { path: full.join('.'), ...ctx.positionOf(full) };
    if (site.kind === 'secret') {
      secretSites.push(site);
    } else if (site.kind === 'env') {
      const resolved = ctx.env[site.ref];
      if (resolved === undefined) {
        problems.push({ ...where, message: `environment variable ${site.ref} is not set; export it before starting Helios, or put the value in the secrets file and write { secret: ... }` });
      } else {
        ctx.onValue(resolved);
        value = setAt(value, site.path, resolved);
      }
    } else {
      const file = resolve(ctx.configDir, site.ref);
      ctx.onFile?.(file);
      try {
        const resolved = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        ctx.onValue(resolved);
        value = setAt(value, site.path, resolved);
      } catch (err) {
        problems.push({ ...where, message: `cannot read file ${site.ref} (${(err as NodeJS.ErrnoException).code ?? 'error'}); file paths are relative to the config file's directory` });
      }
    }
  }
  return { value, secretSites, problems };
}

/** Stand-in used to validate configs whose secret values are not known yet. */
export const SECRET_PLACEHOLDER = 'helios-secret-placeholder';
