import type { BuiltinAction } from '@helios-ci/sdk';

const BUILTIN = /^actions\/(checkout|cache|cache\/restore|cache\/save|upload-artifact|download-artifact)@[^\s@]+$/i;

/**
 * `actions/checkout@v4` → `checkout`, `actions/cache/restore@v4` → `cache-restore`: the actions Helios
 * implements natively (DESIGN §6), any version.
 */
export function builtinAction(uses: string): BuiltinAction | null {
  const m = BUILTIN.exec(uses.trim());
  return m ? (m[1]!.toLowerCase().replace('/', '-') as BuiltinAction) : null;
}

export function isLocalAction(uses: string): boolean {
  return uses.startsWith('./');
}

/** The actions Helios runs natively, as a user writes them before `@`. */
export const BUILTIN_ACTION_NAMES = ['actions/checkout', 'actions/cache', 'actions/cache/restore', 'actions/cache/save', 'actions/upload-artifact', 'actions/download-artifact'];

/**
 * Why `uses` is refused: names every supported form (built-ins, remote `owner/repo[/path]@ref`
 * actions, local composite actions), and says when the plan had no action source to resolve a
 * remote action with (`helios validate`, a host with none configured).
 */
export function unsupportedActionReason(uses: string, hasSource = false): string {
  const name = uses.trim().split('@')[0]!.toLowerCase();
  const list = `${BUILTIN_ACTION_NAMES.join(', ')} (built in, any version), remote JavaScript and composite actions (uses: owner/repo[/path]@ref) and local composite actions (uses: ./path)`;
  if (name.startsWith('docker://')) return `${uses}, a container image: container actions need Docker, which this runtime does not offer. Helios runs ${list}; run the tool with run steps instead`;
  const remoteShape = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+(\/[^@\s]+)?@[^\s@]+$/.test(uses.trim());
  if (remoteShape && !hasSource) {
    return `${uses}, a remote action, and this plan has no action source to resolve it with: Helios runs ${list}; remote actions are fetched from the run's forge or the sources in helios.yaml (actions.sources)`;
  }
  return `${uses}, which is not an action reference Helios understands: Helios runs ${list}. Write it as owner/repo[/path]@ref or ./path`;
}
