import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHeliosError, type Plugin } from '@helios-ci/sdk';
import { resolvePlugin } from './pluginResolver.js';
import { Kernel } from './kernel.js';
import { MemoryLogSink } from './logger.js';

export interface VerifyStep {
  step: 'load' | 'configure' | 'start' | 'stop';
  ok: boolean;
  detail: string;
  code?: string;
}

export interface VerifyOptions {
  /** The plugin's config, as it would stand under `config:` in helios.yaml. */
  config?: unknown;
  /** Where `use` paths and relative config paths start (default: the working directory, so `verifyPlugin('.')` in a plugin's directory verifies that plugin). */
  configDir?: string;
  instance?: string;
  /** Other plugin instances it needs (e.g. a secrets backend), as helios.yaml entries. */
  alongside?: Record<string, { use: string | Plugin; config?: unknown }>;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads a plugin through the production loader — package or path resolution, import, brand and
 * API-version checks, config validation, register, dependency resolution, start, stop — and
 * reports each step, stopping at the first failure.
 */
export async function verifyPlugin(use: string | Plugin, options: VerifyOptions = {}): Promise<VerifyStep[]> {
  const configDir = options.configDir ?? process.cwd();
  const instance = options.instance ?? 'plugin-under-test';
  const steps: VerifyStep[] = [];
  const fail = (step: VerifyStep['step'], err: unknown) => {
    steps.push({ step, ok: false, detail: (err as Error)?.message ?? String(err), code: isHeliosError(err) ? err.code : undefined });
    return steps;
  };
  const objects: Record<string, Plugin> = {};
  const useName = (u: string | Plugin, key: string) => {
    if (typeof u === 'string') return u;
    objects[`in-memory:${key}`] = u;
    return `in-memory:${key}`;
  };
  const mainUse = useName(use, instance);
  if (typeof use === 'string') {
    try {
      const resolved = await resolvePlugin(use, configDir, `plugins.${instance}.use`);
      steps.push({ step: 'load', ok: true, detail: `${resolved.packageName}@${resolved.version} (plugin "${resolved.plugin.name}", API ${resolved.plugin.apiVersion}, kinds ${resolved.plugin.kinds.join(', ') || 'none'}) from ${resolved.entry}` });
    } catch (err) {
      return fail('load', err);
    }
  } else {
    steps.push({ step: 'load', ok: true, detail: `in-memory plugin "${use.name}"` });
  }
  const plugins: Record<string, { use: string; config?: unknown }> = { [instance]: { use: mainUse, config: options.config ?? {} } };
  for (const [name, entry] of Object.entries(options.alongside ?? {})) plugins[name] = { use: useName(entry.use, name), config: entry.config };
  // A data dir of its own, removed afterwards: verifying a plugin leaves nothing in its directory.
  const dataDir = mkdtempSync(join(tmpdir(), 'helios-verify-'));
  try {
    return await verifyWithKernel(steps, fail, { plugins, configDir, env: options.env, objects, dataDir, instance });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function verifyWithKernel(
  steps: VerifyStep[],
  fail: (step: VerifyStep['step'], err: unknown) => VerifyStep[],
  o: { plugins: Record<string, { use: string; config?: unknown }>; configDir: string; env?: NodeJS.ProcessEnv; objects: Record<string, Plugin>; dataDir: string; instance: string },
): Promise<VerifyStep[]> {
  const { instance } = o;
  let kernel: Kernel;
  try {
    kernel = await Kernel.create({
      configText: JSON.stringify({ plugins: o.plugins }),
      configDir: o.configDir,
      env: o.env,
      pluginObjects: o.objects,
      logSink: new MemoryLogSink(),
      dataDir: o.dataDir,
      // Only what is named: a forge under test does not get a runtime filled in beside it.
      embeddedDefaults: false,
    });
    const info = kernel.plugins().find((p) => p.instance === instance)!;
    steps.push({ step: 'configure', ok: true, detail: `config valid; provides ${info.kinds.join(', ') || 'nothing'}` });
  } catch (err) {
    return fail('configure', err);
  }
  try {
    await kernel.start();
    steps.push({ step: 'start', ok: true, detail: 'start hooks ran' });
  } catch (err) {
    return fail('start', err);
  }
  const reports = await kernel.stop('verify');
  const bad = reports.filter((r) => r.outcome !== 'ok');
  steps.push(bad.length ? { step: 'stop', ok: false, detail: bad.map((b) => `${b.instance}: ${b.outcome} ${b.error ?? ''}`).join('; ') } : { step: 'stop', ok: true, detail: 'stop hooks ran' });
  return steps;
}
