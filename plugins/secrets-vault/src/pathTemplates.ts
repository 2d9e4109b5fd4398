import { HeliosError } from '@helios-ci/sdk';

/** A KV v2 location: the path inside the mount and the key in the map stored there. */
export interface KvLocation {
  path: string;
  key: string;
}

/** The key a location selects when its template or ref has no `#key`. */
export const DEFAULT_KEY = 'value';

const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const PLACEHOLDER = /\{(owner|repo|name|ref|environment)\}/g;

/**
 * Fills `ci/{owner}/{repo}/{name}` or `ci/{owner}/{repo}#{name}`. Every filled value is one path
 * segment of safe characters, so a repository or secret name can never climb out of its template
 * (`..`, `/`) into another path.
 */
export function fillTemplate(template: string, values: Partial<Record<'owner' | 'repo' | 'name' | 'ref' | 'environment', string>>): KvLocation {
  const filled = template.replace(PLACEHOLDER, (_, k: 'owner' | 'repo' | 'name' | 'ref' | 'environment') => {
    const v = values[k];
    if (v === undefined) throw new HeliosError('E_CONFIG_INVALID', `secrets-vault: template "${template}" uses {${k}}, which is not known here`);
    if (k === 'ref') return v; // validated by parseRef
    if (!SEGMENT.test(v) || v === '.' || v === '..') throw new HeliosError('E_SECRET_NAME_INVALID', `"${v.slice(0, 64)}" cannot be used as a Vault path segment (${k})`);
    return v;
  });
  const hash = filled.indexOf('#');
  const path = hash < 0 ? filled : filled.slice(0, hash);
  const key = hash < 0 ? DEFAULT_KEY : filled.slice(hash + 1);
  return { path, key };
}

/** Checks a template at configure time: known placeholders only, a path, at most one `#`. */
export function checkTemplate(template: string, allowed: readonly string[]): string | null {
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!allowed.includes(m[1]!)) return `template "${template}" uses {${m[1]}}; allowed here: ${allowed.map((a) => `{${a}}`).join(', ')}`;
  }
  if (template.split('#').length > 2) return `template "${template}" has more than one #`;
  const path = template.split('#')[0]!;
  if (path.startsWith('/') || path.endsWith('/') || path.includes('//')) return `template "${template}" must be a relative path without empty segments`;
  return null;
}

/**
 * A config reference: `github/app` (key "value") or `github/app#private_key`; segments of safe
 * characters only, no `..`.
 */
export function parseRef(ref: string): { ref: string; key: string | null } {
  const [path, key, extra] = ref.split('#');
  const bad = () => new HeliosError('E_CONFIG_INVALID', `secret reference "${ref.slice(0, 100)}" is not a Vault path (segments of letters, digits, _ . -, separated by /, optionally #key)`);
  if (extra !== undefined || !path) throw bad();
  for (const seg of path.split('/')) if (!SEGMENT.test(seg) || seg === '.' || seg === '..') throw bad();
  if (key !== undefined && !/^[A-Za-z0-9_.-]+$/.test(key)) throw bad();
  return { ref: path, key: key ?? null };
}

/** `secret/data/ci/acme/widget/X` as Vault's API path (percent-encoded per segment). */
export function dataPath(mount: string, path: string): string {
  return [...mount.split('/'), 'data', ...path.split('/')].map(encodeURIComponent).join('/');
}
