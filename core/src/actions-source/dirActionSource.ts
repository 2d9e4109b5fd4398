import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionArchive, ActionSource } from './actionSource.js';

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const SHA = /^[0-9a-f]{40}$/;

function git(dir: string, args: string[], encoding: 'utf8' | 'buffer'): Promise<string | Buffer | null> {
  return new Promise((resolve) => {
    execFile('git', ['-C', dir, ...args], { encoding, maxBuffer: 512 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' } }, (err, stdout) => resolve(err ? null : stdout));
  });
}

/**
 * A directory of git repositories on this host, for hosts without network access to the forge:
 * `<dir>/<owner>/<name>` or `<dir>/<owner>/<name>.git`, bare or with a working tree (e.g. made by
 * `git clone --mirror https://github.com/<owner>/<name> <dir>/<owner>/<name>.git`, refreshed with
 * `git remote update`). Refs resolve as git resolves them (tags, branches, shas); the tree at a
 * commit comes from `git archive`, so a mirror pins code by sha exactly as a forge does.
 */
export class DirActionSource implements ActionSource {
  readonly name: string;
  constructor(private readonly dir: string) {
    this.name = `directory ${dir}`;
  }

  private repoDir(owner: string, name: string): string | null {
    if (!NAME.test(owner) || !NAME.test(name) || owner === '..' || name === '..') return null;
    for (const candidate of [join(this.dir, owner, name), join(this.dir, owner, `${name}.git`)]) {
      if (existsSync(candidate)) return candidate;
    }
    return null;
  }

  async resolve(owner: string, name: string, ref: string): Promise<string | null> {
    const dir = this.repoDir(owner, name);
    if (!dir || ref.startsWith('-')) return null;
    // Tags and branches as written, then as a remote-tracking branch of a plain clone.
    for (const candidate of [ref, `refs/tags/${ref}`, `refs/heads/${ref}`, `refs/remotes/origin/${ref}`]) {
      const out = (await git(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`], 'utf8')) as string | null;
      const sha = out?.trim();
      if (sha && SHA.test(sha)) return sha;
    }
    return null;
  }

  async archive(owner: string, name: string, sha: string): Promise<ActionArchive | null> {
    const dir = this.repoDir(owner, name);
    if (!dir || !SHA.test(sha)) return null;
    const out = (await git(dir, ['archive', '--format=tar', `--prefix=${name}/`, sha], 'buffer')) as Buffer | null;
    return out ? { bytes: out, gzip: false } : null;
  }
}
