/** Which program runs a `run:` script: `shell:` names, custom `{0}` templates, GitHub's defaults. */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Shell {
  /** argv with `{0}` where the script path goes. */
  argv: string[];
  /** Extension of the script file (some interpreters care). */
  ext: string;
}

const SHELLS: Record<string, Shell> = {
  bash: { argv: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '{0}'], ext: '.sh' },
  sh: { argv: ['sh', '-e', '{0}'], ext: '.sh' },
  python: { argv: ['python', '{0}'], ext: '.py' },
};

const whichCache = new Map<string, string | null>();

/** PATH lookup, memoised per (name, PATH): every step asks for its shell, and PATH rarely changes. */
function which(name: string, pathValue: string | undefined): string | null {
  const key = `${name}\0${pathValue ?? ''}`;
  if (!whichCache.has(key)) whichCache.set(key, lookPath(name, pathValue));
  return whichCache.get(key)!;
}

/** The first `name` on `pathValue` (a name with a slash is taken as a path), or null. */
export function lookPath(name: string, pathValue: string | undefined): string | null {
  if (name.includes('/')) return existsSync(name) ? name : null;
  for (const dir of (pathValue ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The shell for a step: its own `shell:`, else the job's `defaults.run.shell`, else GitHub's default. */
export function resolveShell(shell: string | null, defaultShell: string | null | undefined, pathValue: string | undefined): Shell {
  const name = shell ?? defaultShell;
  if (!name) {
    // GitHub's default on Linux: bash -e {0}, or sh -e {0} where there is no bash.
    return which('bash', pathValue) ? { argv: ['bash', '-e', '{0}'], ext: '.sh' } : { argv: ['sh', '-e', '{0}'], ext: '.sh' };
  }
  const known = SHELLS[name];
  if (known) {
    if (name === 'python' && !which('python', pathValue) && which('python3', pathValue)) return { argv: ['python3', '{0}'], ext: '.py' };
    return known;
  }
  if (name === 'pwsh' || name === 'powershell' || name === 'cmd') {
    throw new Error(`shell "${name}" is not supported by helios-agent; use bash, sh, python or a custom "{0}" template`);
  }
  if (!name.includes('{0}')) throw new Error(`shell ${JSON.stringify(name)} is neither bash/sh/python nor a template containing {0}`);
  const argv = name.trim().split(/\s+/);
  return { argv, ext: argv[0] && /python/.test(argv[0]) ? '.py' : '' };
}
