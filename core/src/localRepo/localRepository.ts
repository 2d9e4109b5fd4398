import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';
import { git } from './git.js';

export interface RepoSnapshot {
  sha: string;
  /** `refs/heads/<branch>` of HEAD (or `refs/heads/detached`). */
  ref: string;
  /** A ref kept pointing at the snapshot so agents can fetch it by sha; removed by `release()`. */
  pinRef: string;
}

const WORKFLOW_DIRS = ['.github/workflows', '.forgejo/workflows'];

/**
 * A git repository on this machine, as `helios run` sees it: HEAD or a snapshot of the working tree
 * (tracked and untracked, not ignored files), workflow files at a commit, and a URL agents clone.
 */
export class LocalRepository {
  private constructor(readonly root: string) {}

  static async open(dir: string): Promise<LocalRepository> {
    let root: string;
    try {
      root = (await git(['rev-parse', '--show-toplevel'], { cwd: dir })).stdout.trim();
    } catch (err) {
      // A bare repository (the REST API's mirrors) has no work tree: its git dir is the root.
      const bare = await git(['rev-parse', '--is-bare-repository', '--absolute-git-dir'], { cwd: dir }).catch(() => null);
      const [isBare, gitDir] = bare ? bare.stdout.trim().split('\n') : [];
      if (isBare !== 'true' || !gitDir) {
        throw new HeliosError('E_NOT_A_REPOSITORY', `${dir} is not inside a git repository; run helios run from a clone (git init && git commit first)`, { cause: err });
      }
      root = gitDir;
    }
    return new LocalRepository(root);
  }

  get name(): string {
    // `<name>.git` is how bare repositories are named; the run shows the plain name.
    return basename(this.root).replace(/\.git$/, '') || basename(this.root);
  }

  get cloneUrl(): string {
    return `file://${this.root}`;
  }

  async branchRef(): Promise<string> {
    try {
      return (await git(['symbolic-ref', '-q', 'HEAD'], { cwd: this.root })).stdout.trim();
    } catch {
      return 'refs/heads/detached';
    }
  }

  /** HEAD as committed. */
  async head(runId: string): Promise<RepoSnapshot> {
    let sha: string;
    try {
      sha = (await git(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: this.root })).stdout.trim();
    } catch (err) {
      throw new HeliosError('E_NO_COMMITS', `${this.root} has no commits yet; commit first, or use --dirty to run the working tree`, { cause: err });
    }
    return this.pin(sha, runId);
  }

  /**
   * The working tree as a commit, made with a throw-away index so neither the user's index, HEAD
   * nor any branch changes. Untracked files are included; ignored files and `.helios/` are not.
   */
  async snapshot(runId: string): Promise<RepoSnapshot> {
    const tmp = mkdtempSync(join(tmpdir(), 'helios-index-'));
    try {
      const env = { GIT_INDEX_FILE: join(tmp, 'index') };
      let parent: string[] = [];
      try {
        const head = (await git(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: this.root })).stdout.trim();
        await git(['read-tree', head], { cwd: this.root, env });
        parent = ['-p', head];
      } catch {
        // No commits yet: the snapshot has no parent.
      }
      // .helios/ is Helios's own (cache index, storage, extracted artifacts), never the run's input.
      await git(['add', '-A', '--', '.', ':(exclude).helios'], { cwd: this.root, env });
      const tree = (await git(['write-tree'], { cwd: this.root, env })).stdout.trim();
      const sha = (
        await git(['commit-tree', tree, ...parent, '-m', 'helios run --dirty snapshot'], {
          cwd: this.root,
          env: { ...env, GIT_AUTHOR_NAME: 'helios', GIT_AUTHOR_EMAIL: 'helios@localhost', GIT_COMMITTER_NAME: 'helios', GIT_COMMITTER_EMAIL: 'helios@localhost' },
        })
      ).stdout.trim();
      return this.pin(sha, runId);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  private async pin(sha: string, runId: string): Promise<RepoSnapshot> {
    const pinRef = `refs/helios/runs/${runId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    // Independent: the two git starts overlap.
    const [, ref] = await Promise.all([git(['update-ref', pinRef, sha], { cwd: this.root }), this.branchRef()]);
    return { sha, ref, pinRef };
  }

  async release(snapshot: RepoSnapshot): Promise<void> {
    await git(['update-ref', '-d', snapshot.pinRef], { cwd: this.root }).catch(() => undefined);
  }

  /** Workflow files (`.github/workflows`, `.forgejo/workflows`) at a commit. */
  async workflowFiles(sha: string): Promise<{ path: string; content: string }[]> {
    const out: { path: string; content: string }[] = [];
    // One listing for both directories (a git start less); git sorts it by path, the files keep
    // WORKFLOW_DIRS' order (.github before .forgejo), each directory's files in git's order.
    const listing = (await git(['ls-tree', '-z', '--name-only', sha, '--', ...WORKFLOW_DIRS.map((d) => `${d}/`)], { cwd: this.root })).stdout.split('\0').filter(Boolean);
    for (const dir of WORKFLOW_DIRS) {
      for (const path of listing) {
        if (!path.startsWith(`${dir}/`) || !/\.ya?ml$/.test(path)) continue;
        const content = await this.readFile(sha, path);
        if (content !== null) out.push({ path, content });
      }
    }
    return out;
  }

  async readFile(sha: string, path: string): Promise<string | null> {
    if (path.startsWith('-') || path.includes('\0')) return null;
    try {
      return (await git(['show', `${sha}:${path.replace(/^\.\//, '')}`], { cwd: this.root })).stdout;
    } catch {
      return null;
    }
  }

  /** Paths changed between two commits (for `paths` filters); null when unknown. */
  async changedFiles(from: string | null, to: string): Promise<string[] | null> {
    if (!from) return null;
    try {
      return (await git(['diff', '--name-only', '-z', from, to], { cwd: this.root })).stdout.split('\0').filter(Boolean);
    } catch {
      return null;
    }
  }
}
