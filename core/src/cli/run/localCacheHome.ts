import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { EMBEDDED_DEFAULT_CONFIG } from '../../kernel/config/schema.js';

/**
 * Where `helios run` keeps what outlives a run: the cache index and, on the embedded defaults, the
 * storage-dir directory, in the repository's `.helios/` (`helios cache list --local` reads them).
 */
export function localCacheHome(repoRoot: string): { dir: string; index: string; storage: string } {
  const dir = join(repoRoot, '.helios');
  return { dir, index: join(dir, 'cache-index.db'), storage: join(dir, 'storage') };
}

/** The embedded defaults, with a secrets file (if any) for the secrets backend and storage-dir kept at `storagePath`. */
export function embeddedRunConfig(secretFile: string | undefined, storagePath: string): string {
  const config = parse(EMBEDDED_DEFAULT_CONFIG) as { plugins: Record<string, { use: string; config?: Record<string, unknown> }> };
  if (secretFile) config.plugins.secrets = { ...config.plugins.secrets!, config: { path: secretFile } };
  for (const entry of Object.values(config.plugins)) if (entry.use === '@helios-ci/storage-dir') entry.config = { ...entry.config, path: storagePath };
  return stringify(config);
}
