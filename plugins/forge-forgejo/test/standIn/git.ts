// Read-only views of a real git repository for the contents API, through `git` with argv arrays.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size: number;
  path: string;
}

/** Refs are user input here (the `ref` query): never let one look like an option. */
const SAFE_REF = /^(?!-)[A-Za-z0-9._/@+-]+$/;

export class GitReader {
  constructor(readonly dir: string) {}

  private async git(args: string[]): Promise<Buffer> {
    const { stdout } = await run('git', args, { cwd: this.dir, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  /** `git archive` of `commit` as a gzip tar with every entry under `prefix`. */
  archive(commit: string, prefix: string): Promise<Buffer> {
    return this.git(['archive', '--format=tar.gz', `--prefix=${prefix}`, commit]);
  }

  /** The commit a ref or SHA names, or null. */
  async commit(ref: string): Promise<string | null> {
    if (!SAFE_REF.test(ref)) return null;
    try {
      return (await this.git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).toString('utf8').trim() || null;
    } catch {
      return null;
    }
  }

  /** The entry at `path` in `commit` ('' = the root tree), or null. */
  async entry(commit: string, path: string): Promise<TreeEntry | null> {
    if (path === '') return { mode: '040000', type: 'tree', sha: (await this.git(['rev-parse', `${commit}^{tree}`])).toString().trim(), size: 0, path: '' };
    const out = await this.git(['ls-tree', '-l', '-z', '--full-tree', commit, '--', path]);
    return parseTree(out)[0] ?? null;
  }

  /** The children of the directory `path` in `commit`. */
  async list(commit: string, path: string): Promise<TreeEntry[]> {
    return parseTree(await this.git(['ls-tree', '-l', '-z', '--full-tree', commit, '--', path === '' ? '.' : `${path}/`]));
  }

  async blob(sha: string): Promise<Buffer> {
    return this.git(['cat-file', 'blob', sha]);
  }

  /** The commit that last touched `path` up to `commit`. */
  async lastCommit(commit: string, path: string): Promise<string> {
    return (await this.git(['log', '-1', '--format=%H', commit, '--', path || '.'])).toString().trim();
  }
}

function parseTree(out: Buffer): TreeEntry[] {
  return out
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
      return { mode: mode!, type: type as TreeEntry['type'], sha: sha!, size: size === '-' ? 0 : Number(size), path: line.slice(tab + 1) };
    });
}
