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

/**
 * The embedded defaults, with a secrets file (if any) for the secrets backend and storage-dir kept at
 * `storagePath`. runtime-local runs jobs at the CLI's own priority (`jobNice: 0`): its default lower
 * priority keeps a server's event loop ahead of the builds, but a one-shot run has no server to keep
 * responsive, and the job is what the user waits for (niced, it lost ~0.1 s of `helios run`'s start-up
 * to anything else busy on the host). A helios.yaml given to `helios run` keeps its own setting.
 */
export function embeddedRunConfig(secretFile: string | undefined, storagePath: string): string {
  const config = parse(EMBEDDED_DEFAULT_CONFIG) as { plugins: Record<string, { use: string; config?: Record<string, unknown> }> };
  if (secretFile) config.plugins.secrets = { ...config.plugins.secrets!, config: { path: secretFile } };
  const overrides: Record<string, Record<string, unknown>> = { '@helios-ci/storage-dir': { path: storagePath }, '@helios-ci/runtime-local': { jobNice: 0 } };
  for (const entry of Object.values(config.plugins)) if (overrides[entry.use]) entry.config = { ...entry.config, ...overrides[entry.use] };
  return stringify(config);
}
