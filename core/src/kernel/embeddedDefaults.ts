/**
 * The kinds Helios cannot run without (or would run crippled without: no storage, no caches or
 * artifacts), and the plugin the embedded defaults use for each. A config
 * that configures none of a kind (a helios.yaml with only `server:`) gets this plugin filled in,
 * with a warning, instead of a server on which every run fails for want of a runtime.
 */
export interface EmbeddedDefault {
  kind: 'runtime' | 'secrets' | 'storage';
  /** The instance name it gets (as in the embedded defaults), unless a configured instance has it. */
  instance: string;
  use: string;
  /** What the operator gets, said in the warning. */
  note: string;
}

export const EMBEDDED_DEFAULTS: readonly EmbeddedDefault[] = [
  { kind: 'runtime', instance: 'local', use: '@helios-ci/runtime-local', note: 'jobs run as local processes; isolates nothing' },
  { kind: 'secrets', instance: 'secrets', use: '@helios-ci/secrets-file', note: 'env-only: secrets come from HELIOS_SECRET_<NAME> variables, no secrets file' },
  { kind: 'storage', instance: 'storage', use: '@helios-ci/storage-dir', note: 'plain directories under the data dir: caches, artifacts and warm paths are copies, not clones' },
];

/** A kind filled in with its embedded default, as `config check` and `plugins list` report it. */
export interface FilledDefault {
  kind: string;
  instance: string;
  package: string;
  /** The warning line: what was missing, what is used instead, and how to choose. */
  message: string;
}

export function filledMessage(d: EmbeddedDefault, instance: string): string {
  return `no ${d.kind} configured: using the embedded default ${d.use} as instance "${instance}" (${d.note}); configure a ${d.kind} plugin under plugins: to choose one`;
}

/** A name no configured instance uses: the default's own, else `<name>-default`, `<name>-default-2`, ... */
export function freeInstanceName(preferred: string, taken: readonly string[]): string {
  if (!taken.includes(preferred)) return preferred;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${preferred}-default` : `${preferred}-default-${n}`;
    if (!taken.includes(candidate)) return candidate;
  }
}
