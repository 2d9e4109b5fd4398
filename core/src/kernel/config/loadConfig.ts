import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isSeq, type Document } from 'yaml';
import { HeliosError } from '@helios-ci/sdk';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EMBEDDED_DEFAULT_CONFIG, HeliosConfigSchema, INSTANCE_NAME, PluginEntrySchema, type HeliosConfig } from './schema.js';
import { actionsEndpointProblems } from './actionsEndpoint.js';
import { agentEndpointProblems } from './agentEndpoint.js';
import { egressConfigProblems } from '../../egress/egressConfig.js';
import { actionsConfigProblems } from '../../actions-source/actionsConfig.js';
import { configInvalid, type ConfigProblem } from './problems.js';
import { validateAgainst, type PositionOf } from './validate.js';

export interface LoadedConfig {
  /** The file name as shown to users (`(embedded defaults)` without a file). */
  file: string;
  configDir: string;
  config: HeliosConfig;
  positionOf: PositionOf;
  embedded: boolean;
  /**
   * Problems with the file's own structure (server, limits, plugin entries). The kernel reports
   * them together with every plugin config problem it can still find, in one pass; `config` is
   * then a best-effort reading (defaults where a section is wrong, only well-formed plugin entries).
   */
  problems: ConfigProblem[];
}

const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads `helios.yaml` (or the embedded defaults) and checks its outer structure. */
export function loadConfigFile(path: string | undefined, cwd = process.cwd()): LoadedConfig {
  if (path === undefined) {
    return parseConfigText(EMBEDDED_DEFAULT_CONFIG, '(embedded defaults)', cwd, true);
  }
  const file = resolve(cwd, path);
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new HeliosError('E_CONFIG_INVALID', `${path} is ${bytes.length} bytes; a config file over 1 MiB is refused`);
    }
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    if (err instanceof HeliosError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new HeliosError('E_CONFIG_NOT_FOUND', `config file ${path} does not exist; create it, or run without --config to use the embedded defaults`, { cause: err });
    }
    if (err instanceof TypeError) {
      throw new HeliosError('E_CONFIG_INVALID', `${path} is not UTF-8 text; save it as UTF-8`, { cause: err });
    }
    throw new HeliosError('E_CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfigText(text, path, dirname(file), false);
}

export function parseConfigText(text: string, file: string, configDir: string, embedded: boolean): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    problems.push({ path: '', message: `YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, line: pos?.line, col: pos?.col });
  }
  if (problems.length) throw configInvalid(file, problems);

  let raw: unknown;
  try {
    // Aliases are expanded here; the cap refuses "billion laughs" documents instead of hanging.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw configInvalid(file, [{ path: '', message: `YAML: ${(err as Error).message}` }]);
  }
  const positionOf = makePositionOf(doc, lineCounter);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw configInvalid(file, [{ path: '', message: 'the top level must be a mapping with server, plugins and limits keys', line: 1, col: 1 }]);
  }
  const { value, problems: schemaProblems } = validateAgainst(HeliosConfigSchema, raw, [], positionOf);
  if (schemaProblems.length === 0) schemaProblems.push(...agentEndpointProblems((value as HeliosConfig).server, positionOf), ...egressConfigProblems((value as HeliosConfig).egress, positionOf), ...actionsEndpointProblems((value as HeliosConfig).server, positionOf), ...actionsConfigProblems((value as HeliosConfig).actions, (value as HeliosConfig).plugins, positionOf));
  if (schemaProblems.length === 0) return { file, configDir, config: value as HeliosConfig, positionOf, embedded, problems: [] };
  return { file, configDir, config: salvage(raw as Record<string, unknown>), positionOf, embedded, problems: schemaProblems };
}

/**
 * What can still be read from a config with structural problems: each section that is valid on
 * its own, defaults for the others, and every well-formed plugin entry (so its config is checked).
 */
function salvage(raw: Record<string, unknown>): HeliosConfig {
  const section = <S extends TSchema>(schema: S, input: unknown): Static<S> => {
    const candidate = Value.Default(schema, Value.Clone(input ?? {}));
    return Value.Check(schema, candidate) ? candidate : Value.Default(schema, {});
  };
  const plugins: HeliosConfig['plugins'] = {};
  const rawPlugins = raw.plugins;
  if (rawPlugins && typeof rawPlugins === 'object' && !Array.isArray(rawPlugins)) {
    for (const [name, entry] of Object.entries(rawPlugins)) {
      if (INSTANCE_NAME.test(name) && Value.Check(PluginEntrySchema, entry)) plugins[name] = entry;
    }
  }
  const { server, limits, caches, artifacts, ui, environments, egress, actions, vmactions } = HeliosConfigSchema.properties;
  return { server: section(server, raw.server), plugins, limits: section(limits, raw.limits), caches: section(caches, raw.caches), artifacts: section(artifacts, raw.artifacts), ui: section(ui, raw.ui), environments: section(environments, raw.environments), egress: section(egress, raw.egress), actions: section(actions, raw.actions), vmactions: section(vmactions, raw.vmactions) };
}

function makePositionOf(doc: Document, lineCounter: LineCounter): PositionOf {
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  return (path, preferKey = false) => {
    // Point at the key of the deepest entry that exists: "unknown key" and "missing" read best there.
    for (let n = path.length; n > 0; n--) {
      const parent = doc.getIn(path.slice(0, n - 1), true) as { items?: { key?: unknown; value?: unknown }[] } | undefined;
      const pair = parent?.items?.find((item) => isNode(item.key) && (item.key as { value?: unknown }).value === path[n - 1]);
      if (n === path.length && !preferKey && pair && isNode(pair.value) && pair.value.range && !isCollection(pair.value)) return at(pair.value.range[0]);
      if (pair && isNode(pair.key) && pair.key.range) return at(pair.key.range[0]);
      const item = doc.getIn(path.slice(0, n), true);
      if (isNode(item) && item.range) return at(item.range[0]);
    }
    return undefined;
  };
}

function isCollection(node: unknown): boolean {
  return isMap(node) || isSeq(node);
}
