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
 * Why `uses` is refused: names every supported action and sub-action exactly, and says so when the
 * refused one is a sub-action of a supported action (`actions/upload-artifact/merge`).
 */
export function unsupportedActionReason(uses: string): string {
  const name = uses.trim().split('@')[0]!.toLowerCase();
  const parent = BUILTIN_ACTION_NAMES.find((b) => name.startsWith(`${b}/`));
  const list = `${BUILTIN_ACTION_NAMES.join(', ')} (any version) and local composite actions (uses: ./path)`;
  if (parent) return `${uses}, a sub-action of ${parent} that Helios does not run; Helios runs ${list}. Replace it with run steps or a local composite action`;
  return `${uses}, which Helios does not run: only ${list} are available. Replace it with run steps or a local composite action`;
}
