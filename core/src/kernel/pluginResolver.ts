import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kind } from '@sinclair/typebox';
import { HeliosError, isPlugin, type Plugin } from '@helios-ci/sdk';
import { checkApiVersion } from './apiVersion.js';

export interface ResolvedPlugin {
  plugin: Plugin;
  /** The package name (from package.json), or the path as written. */
  packageName: string;
  version: string;
  /** The file that was imported. */
  entry: string;
}

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const CORE_DIR = dirname(fileURLToPath(import.meta.url));

function isPathSpec(use: string): boolean {
  // "." and ".." too: verifyPlugin('.') from the plugin's own directory is a path, not a package.
  return use === '.' || use === '..' || use.startsWith('./') || use.startsWith('../') || isAbsolute(use);
}

/** Finds the file `use` names: a path relative to the config file, or an installed package. */
export function locatePlugin(use: string, configDir: string, where: string): { entry: string; packageDir: string | null } {
  if (isPathSpec(use)) {
    const target = resolve(configDir, use);
    if (!existsSync(target)) {
      throw new HeliosError('E_PLUGIN_NOT_FOUND', `${where}: plugin path ${use} does not exist (resolved to ${target}, relative to the config file's directory)`);
    }
    if (statSync(target).isDirectory()) return { entry: packageEntry(target, use), packageDir: target };
    return { entry: target, packageDir: findPackageDir(dirname(target)) };
  }
  if (!PACKAGE_NAME.test(use)) {
    throw new HeliosError('E_PLUGIN_NOT_FOUND', `${where}: "${use}" is neither an npm package name nor a path; write a package name like @helios-ci/forge-github, or a path starting with ./`);
  }
  const searched: string[] = [];
  for (const start of [configDir, CORE_DIR]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', use);
      if (!searched.includes(candidate)) searched.push(candidate);
      if (existsSync(join(candidate, 'package.json'))) return { entry: packageEntry(candidate, use), packageDir: candidate };
      if (dirname(dir) === dir) break;
    }
  }
  throw new HeliosError(
    'E_PLUGIN_NOT_FOUND',
    `${where}: plugin package ${use} is not installed. Looked in:\n${searched.map((s) => '  ' + s).join('\n')}\nInstall it next to the config file (npm install ${use}) or point "use" at its directory with a relative path`,
  );
}

function packageEntry(dir: string, use: string): string {
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) {
    const index = join(dir, 'index.js');
    if (existsSync(index)) return index;
    throw new HeliosError('E_PLUGIN_NOT_FOUND', `plugin directory ${use} has neither package.json nor index.js`);
  }
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
  const rel = exportEntry(pkg.exports) ?? (pkg.module as string | undefined) ?? (pkg.main as string | undefined) ?? 'index.js';
  const entry = resolve(dir, rel);
  if (!existsSync(entry)) {
    throw new HeliosError('E_PLUGIN_NOT_FOUND', `plugin package ${use} names ${rel} as its entry, but ${entry} does not exist; is the package built?`);
  }
  return entry;
}

function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (!exports || typeof exports !== 'object') return undefined;
  const map = exports as Record<string, unknown>;
  const root = '.' in map ? map['.'] : map;
  if (typeof root === 'string') return root;
  if (root && typeof root === 'object') {
    const conditions = root as Record<string, unknown>;
    for (const key of ['import', 'node', 'default']) {
      const value = conditions[key];
      if (typeof value === 'string') return value;
      const nested = exportEntry(value);
      if (nested) return nested;
    }
  }
  return undefined;
}

function findPackageDir(start: string): string | null {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** Locates, imports and checks one plugin (brand, API range, kinds, schema). */
export async function resolvePlugin(use: string, configDir: string, where: string): Promise<ResolvedPlugin> {
  const { entry, packageDir } = locatePlugin(use, configDir, where);
  let pkg: { name?: string; version?: string } = {};
  if (packageDir) {
    try {
      pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    } catch {
      pkg = {};
    }
  }
  const packageName = pkg.name ?? use;
  const version = pkg.version ?? '0.0.0';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (err) {
    throw new HeliosError('E_PLUGIN_IMPORT_FAILED', `${where}: importing ${packageName} (${entry}) failed: ${(err as Error).message}`, { cause: err });
  }
  return { plugin: checkPlugin(mod.default, `${packageName}@${version}`, where), packageName, version, entry };
}

export function checkPlugin(candidate: unknown, label: string, where: string): Plugin {
  if (!isPlugin(candidate)) {
    throw new HeliosError(
      'E_PLUGIN_INVALID',
      `${where}: ${label} is not a Helios plugin: its default export must be the result of definePlugin({...}) from @helios-ci/sdk`,
    );
  }
  checkApiVersion(candidate.apiVersion, label, where);
  const kinds: unknown = candidate.kinds;
  if (!Array.isArray(kinds) || kinds.some((k) => typeof k !== 'string')) {
    throw new HeliosError('E_PLUGIN_INVALID', `${where}: ${label} does not say what it provides; definePlugin needs kinds: the token names register() provides, e.g. kinds: ['secrets'] ([] for none)`);
  }
  if (!candidate.configSchema || typeof candidate.configSchema !== 'object' || !(Kind in candidate.configSchema)) {
    throw new HeliosError('E_PLUGIN_INVALID', `${where}: ${label} has no valid configSchema; it must be a typebox schema, e.g. Type.Object({...}) with Type from @helios-ci/sdk`);
  }
  return candidate;
}
