import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HeliosError, SECRET_NAME, type SecretScope, type Secrets } from '@helios-ci/sdk';

interface FileContents {
  /** CONFIG secrets (`config:`), for the kernel's `{ secret: ref }` only. */
  config: Map<string, string>;
  /** JOB secrets for every repository (`secrets:`). */
  global: Map<string, string>;
  /** JOB secrets for one repository (`repos.<owner/name>:`). */
  repos: Map<string, Map<string, string>>;
  /** JOB secrets of a deployment environment: for every repository, and for one. */
  environments: Map<string, { global: Map<string, string>; repos: Map<string, Map<string, string>> }>;
}

const EMPTY: FileContents = { config: new Map(), global: new Map(), repos: new Map(), environments: new Map() };
/** Environment names as GitHub allows them (no control characters; the file keys them). */
const ENVIRONMENT_NAME = /^[^\x00-\x1f/][^\x00-\x1f]{0,254}$/;

export interface SecretsFileOptions {
  /** Absolute path of the YAML file, or null for environment variables only. */
  file: string | null;
  /** Prefix of JOB secret variables (`HELIOS_SECRET_`). */
  envPrefix: string;
  /** Prefix of CONFIG secret variables (`HELIOS_CONFIG_SECRET_`); neither prefix may start with the other. */
  configEnvPrefix?: string;
  env: NodeJS.ProcessEnv;
}

export const DEFAULT_CONFIG_ENV_PREFIX = 'HELIOS_CONFIG_SECRET_';

/**
 * Secrets from a YAML file and environment variables, in two namespaces that never meet:
 * JOB secrets (`secrets:` for every repository, `repos.<owner/name>:` for one, `HELIOS_SECRET_<NAME>`)
 * and CONFIG secrets for the kernel's `{ secret: ref }` (`config:`, `HELIOS_CONFIG_SECRET_<REF>`).
 * The file is re-read when it changes, so an operator can add a secret without a restart; a file
 * readable by group or others is refused.
 */
export class FileSecrets implements Secrets {
  private cache: { mtimeMs: number; size: number; contents: FileContents } | null = null;
  private readonly configEnvPrefix: string;

  constructor(private readonly options: SecretsFileOptions) {
    this.configEnvPrefix = options.configEnvPrefix ?? DEFAULT_CONFIG_ENV_PREFIX;
    // Overlapping prefixes would merge the namespaces: HELIOS_SECRET_X could also be config ref x.
    if (this.configEnvPrefix.startsWith(options.envPrefix) || options.envPrefix.startsWith(this.configEnvPrefix)) {
      throw new HeliosError('E_CONFIG_INVALID', `secrets-file: envPrefix "${options.envPrefix}" and configEnvPrefix "${this.configEnvPrefix}" overlap; job and config secrets need prefixes where neither starts with the other (defaults: HELIOS_SECRET_ and HELIOS_CONFIG_SECRET_)`);
    }
    this.contents();
  }

  async resolve(scope: SecretScope): Promise<Record<string, string>> {
    for (const name of scope.names) {
      if (!SECRET_NAME.test(name)) {
        throw new HeliosError('E_SECRET_NAME_INVALID', `secret name ${JSON.stringify(name.slice(0, 64))} is invalid; names are letters, digits and _ and do not start with a digit`);
      }
    }
    const { global, repos, environments } = this.contents();
    const scoped = repos.get(scope.repo);
    // Environment names are case-insensitive on GitHub.
    const env = scope.environment ? environments.get(scope.environment.toLowerCase()) : undefined;
    const envScoped = env?.repos.get(scope.repo);
    const out: Record<string, string> = {};
    for (const name of scope.names) {
      const value = envScoped?.get(name) ?? env?.global.get(name) ?? scoped?.get(name) ?? this.fromEnv(name) ?? global.get(name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  async read(ref: string): Promise<string | undefined> {
    return this.fromEnv(ref, this.configEnvPrefix) ?? this.contents().config.get(ref);
  }

  private fromEnv(name: string, prefix = this.options.envPrefix): string | undefined {
    return this.options.env[prefix + name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')];
  }

  private contents(): FileContents {
    const file = this.options.file;
    if (!file) return EMPTY;
    let stat;
    try {
      stat = statSync(file);
    } catch (err) {
      throw new HeliosError('E_SECRETS_FILE_NOT_FOUND', `secrets file ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); create it with mode 600, or remove "path" from the secrets-file config`, { cause: err });
    }
    if ((stat.mode & 0o044) !== 0) {
      throw new HeliosError('E_SECRETS_FILE_PERMISSIONS', `secrets file ${file} is readable by group or others (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    if (this.cache && this.cache.mtimeMs === stat.mtimeMs && this.cache.size === stat.size) return this.cache.contents;
    const contents = parseSecretsFile(readFileSync(file, 'utf8'), file);
    this.cache = { mtimeMs: stat.mtimeMs, size: stat.size, contents };
    return contents;
  }
}

// yaml (~70 modules) is loaded at the first secrets file read, not at import: `helios run` without
// --secret-file and a server without `path` never read one.
let yamlModule: typeof import('yaml') | null = null;
const yaml = (): typeof import('yaml') => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

function invalid(file: string, what: string): HeliosError {
  // Never quote values: the file holds secrets.
  return new HeliosError('E_SECRETS_FILE_INVALID', `secrets file ${file}: ${what}`);
}

export function parseSecretsFile(text: string, file: string): FileContents {
  let doc: unknown;
  try {
    doc = yaml().parse(text, { uniqueKeys: true, maxAliasCount: 0 }) ?? {};
  } catch (err) {
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw invalid(file, `not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}; expected "config:", "secrets:" and "repos:" mappings`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(file, 'the top level must be a mapping with "config", "secrets" and/or "repos"');
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (key !== 'secrets' && key !== 'repos' && key !== 'config' && key !== 'environments') throw invalid(file, `unknown top-level key "${key}"; use "config" (the server's own { secret: ref } values), "secrets" (job secrets, every repository), "repos" (job secrets, per repository) or "environments" (job secrets of a deployment environment)`);
  }
  const config = toMap(top.config, 'config', file, false);
  const global = toMap(top.secrets, 'secrets', file, false);
  for (const name of global.keys()) {
    // Before the split, config refs lived in "secrets:": say where they go now.
    if (!SECRET_NAME.test(name)) throw invalid(file, `"secrets.${name}" is not a valid job secret name (letters, digits, _); config references such as { secret: ${name} } belong under "config:"`);
  }
  const repos = new Map<string, Map<string, string>>();
  const repoMap = top.repos ?? {};
  if (typeof repoMap !== 'object' || Array.isArray(repoMap)) throw invalid(file, '"repos" must map owner/name to a mapping of secrets');
  for (const [repo, values] of Object.entries(repoMap as Record<string, unknown>)) {
    if (!/^[^/\s]+\/[^/\s]+$/.test(repo)) throw invalid(file, `repos key "${repo}" must be owner/name`);
    repos.set(repo, toMap(values, `repos.${repo}`, file, true));
  }
  return { config, global, repos, environments: parseEnvironments(top.environments, file) };
}

/** `environments.<name>: { secrets: {...}, repos: { owner/name: {...} } }`. */
function parseEnvironments(value: unknown, file: string): FileContents['environments'] {
  const out: FileContents['environments'] = new Map();
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(file, '"environments" must map environment names to { secrets, repos }');
  for (const [name, body] of Object.entries(value as Record<string, unknown>)) {
    if (!ENVIRONMENT_NAME.test(name)) throw invalid(file, `environment name "${name.slice(0, 64)}" is not valid (1-255 characters, no control characters, not starting with /)`);
    if (out.has(name.toLowerCase())) throw invalid(file, `environment "${name}" is given twice (names are case-insensitive)`);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid(file, `"environments.${name}" must be a mapping with "secrets" and/or "repos"`);
    const b = body as Record<string, unknown>;
    for (const key of Object.keys(b)) {
      if (key !== 'secrets' && key !== 'repos') throw invalid(file, `unknown key "environments.${name}.${key}"; use "secrets" (every repository) or "repos" (per repository)`);
    }
    const repos = new Map<string, Map<string, string>>();
    const repoMap = b.repos ?? {};
    if (typeof repoMap !== 'object' || Array.isArray(repoMap)) throw invalid(file, `"environments.${name}.repos" must map owner/name to a mapping of secrets`);
    for (const [repo, values] of Object.entries(repoMap as Record<string, unknown>)) {
      if (!/^[^/\s]+\/[^/\s]+$/.test(repo)) throw invalid(file, `environments.${name}.repos key "${repo}" must be owner/name`);
      repos.set(repo, toMap(values, `environments.${name}.repos.${repo}`, file, true));
    }
    out.set(name.toLowerCase(), { global: toMap(b.secrets, `environments.${name}.secrets`, file, true), repos });
  }
  return out;
}

function toMap(value: unknown, where: string, file: string, namesOnly: boolean): Map<string, string> {
  if (value === undefined || value === null) return new Map();
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(file, `"${where}" must be a mapping of name: value`);
  const out = new Map<string, string>();
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    // Config keys are references such as github/app-key; job secret names are plain names.
    if (namesOnly ? !SECRET_NAME.test(name) : !/^[A-Za-z_][A-Za-z0-9_./#-]*$/.test(name)) {
      throw invalid(file, `"${where}.${name}" is not a valid secret name (letters, digits, _${namesOnly ? '' : ', and / . - # for references'})`);
    }
    if (typeof v !== 'string') throw invalid(file, `"${where}.${name}" must be a string; quote it`);
    out.set(name, v);
  }
  return out;
}
