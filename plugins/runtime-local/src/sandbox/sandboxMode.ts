/** What `config.sandbox` resolves to on this host. */
import { HeliosError } from '@helios-ci/sdk';
import { findBwrap, probeBwrap, probeBwrapAsync } from './bwrapProbe.js';

export const SANDBOX_MODES = ['auto', 'required', 'off'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

export type SandboxDecision = { on: true; bwrap: string } | { on: false; why: string };

export const NOT_ISOLATED = 'jobs on this runtime are NOT isolated: they run as the server user and can read its data dir, store, config and secrets';

/**
 * `auto`: on when bubblewrap is installed and works, else off (the caller warns loudly);
 * `required`: on, or E_SANDBOX_UNAVAILABLE; `off`: off.
 */
export function decideSandbox(instance: string, mode: SandboxMode, path: string): SandboxDecision {
  if (mode === 'off') return { on: false, why: 'config sandbox: off' };
  const bwrap = findBwrap(path);
  return decided(instance, mode, bwrap, bwrap ? probeBwrap(bwrap) : 'bubblewrap (bwrap) is not installed');
}

/** decideSandbox with the probe off the event loop (same decisions, same error). */
export async function decideSandboxAsync(instance: string, mode: SandboxMode, path: string): Promise<SandboxDecision> {
  if (mode === 'off') return { on: false, why: 'config sandbox: off' };
  const bwrap = findBwrap(path);
  return decided(instance, mode, bwrap, bwrap ? await probeBwrapAsync(bwrap) : 'bubblewrap (bwrap) is not installed');
}

function decided(instance: string, mode: SandboxMode, bwrap: string | null, problem: string | null): SandboxDecision {
  if (bwrap && problem === null) return { on: true, bwrap };
  if (mode === 'required') {
    throw new HeliosError('E_SANDBOX_UNAVAILABLE', `runtime-local ${instance}: config sandbox is "required" but ${bwrap ? `${bwrap} does not work here: ${problem}` : problem}; install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow it user namespaces, or set sandbox: auto`);
  }
  return { on: false, why: bwrap ? `${bwrap} does not work here: ${problem}` : `${problem}` };
}
