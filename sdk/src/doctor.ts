/**
 * `helios doctor`'s plugin hook. A plugin adds `doctor(ctx)` to its `definePlugin({...})`; the kernel
 * calls it with the validated config even when building the plugin's values failed (a sealed Vault, a
 * missing image snapshot), so the checks can say precisely what is wrong. It never starts anything
 * and must not change state: read, list, ask, nothing more.
 */
import type { Logger } from './logger.js';

export type DoctorStatus = 'ok' | 'warning' | 'error';

export interface DoctorCheck {
  /** Short and stable, e.g. "app JWT accepted", "image omnios@r151054". */
  name: string;
  status: DoctorStatus;
  /** What was found (never a secret value). */
  message: string;
  /** How to fix it; expected for warning and error. */
  fix?: string;
}

export interface DoctorContext<C> {
  readonly instance: string;
  /** Validated config with defaults and `{ secret | env | file }` references resolved. */
  readonly config: C;
  readonly configDir: string;
  /** Where `ctx.dataDir` would be (not created by doctor). */
  readonly dataDir: string;
  readonly logger: Logger;
  /**
   * Set when the config is a `helios worker` one (a `worker:` section): the runs-on labels its
   * runtimes serve (empty when they could not be built). Undefined for control.
   */
  readonly workerLabels?: readonly string[];
}

/** The optional hook on a plugin definition. */
export type DoctorHook<C> = (ctx: DoctorContext<C>) => Promise<DoctorCheck[]> | DoctorCheck[];

export const doctorOk = (name: string, message: string): DoctorCheck => ({ name, status: 'ok', message });
export const doctorWarning = (name: string, message: string, fix: string): DoctorCheck => ({ name, status: 'warning', message, fix });
export const doctorError = (name: string, message: string, fix: string): DoctorCheck => ({ name, status: 'error', message, fix });
