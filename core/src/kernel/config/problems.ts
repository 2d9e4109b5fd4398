import { HeliosError } from '@helios-ci/sdk';

/** One thing wrong with the config, with where it is. */
export interface ConfigProblem {
  /** Dotted path into the config (`plugins.github.config.appId`), '' for the whole file. */
  path: string;
  message: string;
  line?: number;
  col?: number;
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.col ?? 1}` : file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** All problems at once, one per line, so a user fixes the file in one go. */
export function configInvalid(file: string, problems: ConfigProblem[]): HeliosError {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  const lines = sorted.map((p) => '  ' + formatProblem(file, p));
  return new HeliosError(
    'E_CONFIG_INVALID',
    `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}; fix ${problems.length === 1 ? 'it' : 'them'} and start again:\n${lines.join('\n')}`,
    { facts: { file, problems } },
  );
}
