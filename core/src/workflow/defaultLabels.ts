/**
 * Labels `helios plan` assumes when given no `--labels`: the CLI cannot read the configured
 * runtimes' labels yet, so it uses what the default runtimes serve.
 */
export const DEFAULT_LABELS: readonly string[] = ['ubuntu-latest', 'ubuntu-24.04', 'illumos', 'illumos-stable', 'self-hosted', 'local'];
