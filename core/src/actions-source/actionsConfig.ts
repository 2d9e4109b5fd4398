/** The `actions:` section of helios.yaml: which remote actions runs may use and where they come from. */
import { Type, type Static } from '@sinclair/typebox';

/** `owner/name[/path][@ref]`, `*` a wildcard within a segment (`actions/*`, `dtolnay/rust-toolchain@*`, `*`). */
export const ALLOW_PATTERN = /^(?:\*|[A-Za-z0-9_.*-]+\/[A-Za-z0-9_.*-]+(?:\/[A-Za-z0-9_.*-]+)*)(?:@[^\s@]+)?$/;

export const ActionSourceConfigSchema = Type.Union([
  /** The forge the run came from (the repository's own credentials); skipped for local runs. */
  Type.Object({ type: Type.Literal('run-forge') }, { additionalProperties: false }),
  /** Another configured forge plugin instance (e.g. a Forgejo that mirrors actions), by instance name. */
  Type.Object({ type: Type.Literal('forge'), forge: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }) }, { additionalProperties: false }),
  /** A directory of git repositories `<path>/<owner>/<name>[.git]` (air-gapped hosts). */
  Type.Object({ type: Type.Literal('dir'), path: Type.String({ pattern: '^/' }) }, { additionalProperties: false }),
]);
export type ActionSourceConfig = Static<typeof ActionSourceConfigSchema>;

export const ActionsConfigSchema = Type.Object(
  {
    /** Remote actions runs may use; trusted and untrusted (fork pull request) runs alike. Default: every action. */
    allow: Type.Array(Type.String({ pattern: ALLOW_PATTERN.source }), { default: ['*'] }),
    /** Refuse refs that are not a full 40-hex commit sha (tags and branches can move). */
    requireSha: Type.Boolean({ default: false }),
    /** Where actions are resolved and fetched, tried in order. Default: the run's forge. */
    sources: Type.Array(ActionSourceConfigSchema, { default: [{ type: 'run-forge' }] }),
    /** Cached action trees unused for this many days are removed. */
    cacheMaxAgeDays: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  },
  { additionalProperties: false, default: {} },
);
export type ActionsConfig = Static<typeof ActionsConfigSchema>;

/** What the schema leaves open: a `forge` source must name a configured plugin instance. */
export function actionsConfigProblems(actions: ActionsConfig, plugins: Record<string, unknown>, positionOf: (path: (string | number)[]) => { line?: number; col?: number } | undefined): { path: string; message: string; line?: number; col?: number }[] {
  const problems: { path: string; message: string; line?: number; col?: number }[] = [];
  actions.sources.forEach((s, i) => {
    if (s.type === 'forge' && !(s.forge in plugins)) {
      problems.push({ path: `actions.sources.${i}.forge`, message: `no plugin instance named "${s.forge}" is configured; name a forge plugin under plugins: (e.g. a Forgejo that mirrors actions), or remove this source`, ...positionOf(['actions', 'sources', i, 'forge']) });
    }
  });
  return problems;
}
