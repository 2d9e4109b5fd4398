import { join } from 'node:path';
import { doctorError, doctorOk, doctorWarning, isHeliosError, RuntimeToken, type DoctorCheck, type HeliosError } from '@helios-ci/sdk';
import { Kernel, type KernelOptions } from '../kernel/kernel.js';
import { MemoryLogSink } from '../kernel/logger.js';
import { dataDirChecks, gitCheck, nodeCheck } from './hostChecks.js';
import { storeChecks } from './storeChecks.js';
import { agentEndpointChecks } from './agentEndpointChecks.js';
import { egressChecks } from './egressChecks.js';
import { fixFor } from './fixes.js';

/** One verdict with where it came from: "helios" for the host and store, else the plugin instance. */
export interface DoctorVerdict extends DoctorCheck {
  source: string;
}

export interface DoctorReport {
  config: string | null;
  checks: DoctorVerdict[];
  errors: number;
  warnings: number;
}

export interface DoctorOptions extends KernelOptions {
  /** A plugin's doctor hook taking longer is an error (default 60 s). */
  hookTimeoutMs?: number;
}

const HELIOS = 'helios';
const BHYVE = '@helios-ci/runtime-bhyve';

/** The innermost Helios error: what really went wrong under "plugin X failed to build". */
function rootCause(err: HeliosError): HeliosError {
  let e = err;
  while (isHeliosError(e.cause)) e = e.cause;
  return e;
}

function describe(err: unknown): string {
  return isHeliosError(err) ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
}

async function withTimeout<T>(work: () => Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(work),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every check `helios doctor` makes, in order: the host (Node, git), the config, the data dir and
 * its store, each plugin (loads, builds) and each plugin's own doctor hook. Never starts anything.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: DoctorVerdict[] = [];
  const add = (source: string, ...found: DoctorCheck[]) => checks.push(...found.map((c) => ({ source, ...c })));
  add(HELIOS, nodeCheck(), await gitCheck(options.env ?? process.env));

  let diagnosis: Awaited<ReturnType<typeof Kernel.diagnose>>;
  try {
    diagnosis = await Kernel.diagnose({ ...options, logSink: options.logSink ?? new MemoryLogSink() });
  } catch (err) {
    add(HELIOS, doctorError('config', describe(err), isHeliosError(err) ? fixFor(err) : 'fix the config file'));
    return summarise(null, checks);
  }
  const { kernel, error } = diagnosis;
  const file = kernel.loaded.file;
  add(HELIOS, doctorOk('config', `${file} read`));
  add(HELIOS, ...dataDirChecks(kernel.dataDir));
  add(HELIOS, ...storeChecks(join(kernel.dataDir, 'helios.db')));

  const targets = kernel.doctorTargets(kernel.config.worker ? workerLabels(kernel, error) : undefined);
  for (const t of targets) {
    const label = `${t.package}${t.version ? `@${t.version}` : ''}${t.isDefault ? ' (embedded default)' : ''}`;
    if (t.loadError) add(t.instance, doctorError('plugin loads', `${label}: ${describe(t.loadError)}`, fixFor(t.loadError)));
    else add(t.instance, doctorOk('plugin loads', label));
  }
  // A worker runs no agent service: its guests dial control's (queue-nats checks that config).
  if (!kernel.config.worker) add(HELIOS, ...(await agentEndpointChecks(kernel.config.server, kernel.dataDir, targets.some((t) => t.package === BHYVE && !t.loadError))));
  if (!kernel.config.worker) add(HELIOS, ...(await egressChecks(kernel.config.server, kernel.dataDir, targets.some((t) => t.package === BHYVE && !t.loadError))));
  const anyLoadError = targets.some((t) => t.loadError);
  if (error && !(anyLoadError && isHeliosError(error) && targets.some((t) => t.loadError?.message && error.message.includes(t.loadError.message)))) {
    // Not a load error (already listed): config, secret references, register or build.
    const instance = isHeliosError(error) && typeof error.facts?.instance === 'string' ? error.facts.instance : HELIOS;
    const root = isHeliosError(error) ? rootCause(error) : null;
    add(instance, doctorError(instance === HELIOS ? 'plugins build' : 'plugin builds', describe(error), root ? fixFor(root) : 'see the message'));
  } else if (!error) {
    add(HELIOS, doctorOk('plugins build', `${targets.length} plugin${targets.length === 1 ? '' : 's'} configured and built`));
  }

  for (const t of targets) {
    if (t.run) {
      try {
        const found = await withTimeout(t.run, options.hookTimeoutMs ?? 60_000, `the doctor checks of plugin "${t.instance}"`);
        add(t.instance, ...found.map((c) => ({ ...c, message: kernel.redactor.redact(c.message), ...(c.fix ? { fix: kernel.redactor.redact(c.fix) } : {}) })));
      } catch (err) {
        add(t.instance, doctorError('plugin checks', kernel.redactor.redact(describe(err)), 'see the message; the plugin\'s doctor hook failed'));
      }
    } else if (t.hasHook && !t.loadError) {
      add(t.instance, doctorWarning('plugin checks', 'not run: its config could not be resolved (see the errors above)', 'fix the errors above, then run helios doctor again'));
    }
  }
  return summarise(file, checks);
}

/** A worker config's labels, as `helios worker` computes them: those its runtimes serve. */
function workerLabels(kernel: Kernel, error: unknown): string[] {
  if (error) return [];
  try {
    return [...new Set(kernel.resolveAll(RuntimeToken).flatMap((r) => r.labels))];
  } catch {
    return [];
  }
}

function summarise(config: string | null, checks: DoctorVerdict[]): DoctorReport {
  return {
    config,
    checks,
    errors: checks.filter((c) => c.status === 'error').length,
    warnings: checks.filter((c) => c.status === 'warning').length,
  };
}
