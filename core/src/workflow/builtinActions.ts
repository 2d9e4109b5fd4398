import type { BuiltinAction } from '@helios-ci/sdk';

const BUILTIN = /^actions\/(checkout|cache|upload-artifact)@[^\s@]+$/i;

/** `actions/checkout@v4` → `checkout`: the three actions Helios implements natively (DESIGN §6), any version. */
export function builtinAction(uses: string): BuiltinAction | null {
  const m = BUILTIN.exec(uses.trim());
  return m ? (m[1]!.toLowerCase() as BuiltinAction) : null;
}

export function isLocalAction(uses: string): boolean {
  return uses.startsWith('./');
}
