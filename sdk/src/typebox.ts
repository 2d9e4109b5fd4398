// TypeBox's builder, the one the sdk re-exports. sdk/scripts/bundle.mjs replaces tsc's output of this
// file with a one-file esbuild bundle: TypeBox's ESM build is ~250 modules, a third of what a `helios`
// start used to load. Its kinds are `Symbol.for` keys, so schemas built here pass core's own TypeBox.
export { Type } from '@sinclair/typebox';
export type { Static, TSchema } from '@sinclair/typebox';
