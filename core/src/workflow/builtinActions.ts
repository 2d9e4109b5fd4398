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
