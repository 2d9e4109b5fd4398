/**
 * A test ActionTreeSource: each `owner/name@sha` is a fixture directory, packed on first request
 * with the system `tar` (argv, no shell) into the layout the real cache serves (the repository root
 * at the tar root). Counts requests so tests can see "once per sha".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionTreeSource } from '@helios-ci/core';

export class DirActionTreeSource implements ActionTreeSource {
  private readonly dirs = new Map<string, string>();
  private readonly tars = new Map<string, string>();
  private readonly out = mkdtempSync(join(tmpdir(), 'helios-action-trees-'));
  readonly requests: string[] = [];

  /** Serves `dir` as the tree of `repo` at `sha`. */
  add(repo: string, sha: string, dir: string): this {
    this.dirs.set(`${repo}@${sha}`, dir);
    return this;
  }

  async tarFile(repo: string, sha: string): Promise<string | null> {
    const key = `${repo}@${sha}`;
    this.requests.push(key);
    const dir = this.dirs.get(key);
    if (!dir) return null;
    let file = this.tars.get(key);
    if (!file) {
      file = join(this.out, `${this.tars.size}.tar`);
      const r = spawnSync('tar', ['-cf', file, '-C', dir, '--', ...readdirSync(dir)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tar -cf ${file} -C ${dir}: ${r.stderr}`);
      this.tars.set(key, file);
    }
    return file;
  }
}
