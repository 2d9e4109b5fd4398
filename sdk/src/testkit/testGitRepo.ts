import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A real git repository in a temp directory, on branch main, for tests that run workflows or serve a
 * repository from a forge stand-in. `from` clones another one (a fork). Commits use a fixed identity.
 */
export class TestGitRepo {
  readonly root = mkdtempSync(join(tmpdir(), 'helios-repo-'));
  readonly dir: string;

  constructor(name = 'widget', from?: TestGitRepo) {
    this.dir = join(this.root, name);
    if (from) execFileSync('git', ['clone', '-q', '--', from.dir, this.dir]);
    else {
      mkdirSync(this.dir);
      this.git('init', '-q', '-b', 'main');
    }
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], { cwd: this.dir, encoding: 'utf8' }).trim();
  }

  write(path: string, content: string): this {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), content);
    return this;
  }

  commit(message = 'change'): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
