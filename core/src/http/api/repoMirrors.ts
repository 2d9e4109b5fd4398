import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { HeliosError, isHeliosError } from '@helios-ci/sdk';
import { git } from '../../localRepo/git.js';
import { createPrivateDir, tightenFile } from '../../store/privateFiles.js';

/** Transports git may use for mirrors; `ext::`, ssh and the rest are refused (also for submodules). */
const GIT_ENV = { GIT_ALLOW_PROTOCOL: 'http:https:git:file', GIT_TERMINAL_PROMPT: '0' };
const FETCH_TIMEOUT_MS = 5 * 60_000;
const LOCAL_TIMEOUT_MS = 30_000;
const SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/** A repository the REST API may run: a URL (http(s), git, file) or an absolute path on this host. */
export function validateRepository(input: string): { source: string; display: string; name: string; auth?: { user: string; password: string } } {
  const fail = (why: string) =>
    new HeliosError('E_REPOSITORY_INVALID', `repository ${JSON.stringify(input)} ${why}; give an http(s)://, git:// or file:// URL, or an absolute path of a git repository`);
  // A leading "-" would be read by git as an option; control characters have no place in a URL or path.
  if (input.startsWith('-')) throw fail('starts with "-"');
  if (/[\0-\x1f\x7f]/.test(input)) throw fail('contains control characters');
  let source: string;
  let display: string;
  let path: string;
  let auth: { user: string; password: string } | undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw fail('is not a valid URL');
    }
    if (!['http:', 'https:', 'git:', 'file:'].includes(url.protocol)) throw fail(`uses ${url.protocol.slice(0, -1)}://, which is not supported`);
    if (url.protocol === 'file:' && (url.host !== '' || !url.pathname.startsWith('/'))) throw fail('is a file:// URL with a host; write file:///absolute/path');
    const badEscape = (where: string) => fail(`has a malformed percent-escape in its ${where} (a "%" must be followed by two hex digits; write a literal % as %25)`);
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw badEscape('path');
    }
    if (url.username || url.password) {
      try {
        auth = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
      } catch {
        throw badEscape('user name or password');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('carries credentials, which only http(s):// URLs can use');
      // Credentials never reach git's argv (ps) or the mirror's config: they go in an HTTP header through the environment.
      url.username = '';
      url.password = '';
    }
    source = url.href;
    display = url.href;
  } else if (isAbsolute(input)) {
    source = normalize(input);
    display = source;
    path = source;
  } else {
    throw fail('is neither a supported URL nor an absolute path');
  }
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  const name = last.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '') || 'repo';
  return { source, display, name, ...(auth ? { auth } : {}) };
}

/**
 * git's environment for one repository: the allowed transports and, for a URL that carried
 * credentials, an `Authorization: Basic` header scoped to that URL, given as GIT_CONFIG_* variables
 * (git ≥ 2.31) so it is neither in any process's argv nor written to the mirror's config.
 */
function gitEnvFor(repo: { source: string; auth?: { user: string; password: string } }): NodeJS.ProcessEnv {
  if (!repo.auth) return GIT_ENV;
  const basic = Buffer.from(`${repo.auth.user}:${repo.auth.password}`, 'utf8').toString('base64');
  return { ...GIT_ENV, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `http.${repo.source}.extraHeader`, GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

/** A ref from a request: branch, tag, `refs/...` or a commit sha. */
export function validateRef(ref: string): void {
  if (SHA.test(ref)) return;
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(ref) || ref.includes('..') || ref.includes('//') || ref.endsWith('.lock') || ref.endsWith('/')) {
    throw new HeliosError('E_REF_INVALID', `ref ${JSON.stringify(ref)} is not a branch, tag or commit sha git accepts; use letters, digits and . _ / - (e.g. main, v1.2, refs/heads/main)`);
  }
}

export interface ResolvedCommit {
  /** The bare mirror: the run's repoDir and, as file://, the URL agents clone. */
  dir: string;
  sha: string;
  /** `refs/heads/x` / `refs/tags/x`, or `refs/heads/detached` for a sha no branch or tag points at. */
  ref: string;
  /** Repository name shown in runs. */
  name: string;
}

/**
 * Bare mirrors of the repositories runs are requested for, under `<dataDir>/mirrors`: cloned with
 * `git clone --mirror` on first use and fetched on each request, one git operation per mirror at a
 * time. Runs read their workflows from the mirror and agents clone it, so the origin (or an
 * operator's working copy) is only ever read. Each commit a run uses is pinned under
 * `refs/helios/pins/` so reruns can still fetch it after its branch moved on.
 */
export class RepoMirrors {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly root: string) {}

  async resolve(repository: string, ref: string): Promise<ResolvedCommit> {
    const repo = validateRepository(repository);
    validateRef(ref);
    // Keyed by the URL with its credentials, so a mirror is only ever fetched with the credentials that cloned it.
    const key = createHash('sha256')
      .update(repo.auth ? `${repo.source}\n${repo.auth.user}:${repo.auth.password}` : repo.source)
      .digest('hex')
      .slice(0, 16);
    const dir = join(this.root, key, `${repo.name}.git`);
    return this.exclusive(dir, async () => {
      await this.sync(repo, dir);
      return { dir, name: repo.name, ...(await this.resolveRef(dir, ref)) };
    });
  }

  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return result;
  }

  private async sync(repo: { source: string; display: string; auth?: { user: string; password: string } }, dir: string): Promise<void> {
    const isLocal = repo.source.startsWith('/') || repo.source.startsWith('file:');
    const env = gitEnvFor(repo);
    const timeoutMs = isLocal ? LOCAL_TIMEOUT_MS : FETCH_TIMEOUT_MS;
    try {
      if (existsSync(dir)) {
        // Mirrors cloned by an older Helios have a 644 config (it names the origin URL).
        tightenFile(join(dir, 'config'));
        // No --prune: it would delete the pins, which the origin does not have.
        await git(['fetch', '--quiet', '--force', '--no-recurse-submodules', 'origin'], { cwd: dir, env, timeoutMs });
        return;
      }
      // Clone beside the final place and rename, so a failed or interrupted clone never looks like a mirror.
      const parent = join(dir, '..');
      createPrivateDir(this.root);
      mkdirSync(parent, { recursive: true, mode: 0o700 });
      const tmp = join(parent, `.clone-${randomUUID()}`);
      try {
        await git(['clone', '--mirror', '--quiet', '--', repo.source, tmp], { cwd: parent, env, timeoutMs });
        tightenFile(join(tmp, 'config'));
        renameSync(tmp, dir);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } catch (err) {
      if (isHeliosError(err) && err.code === 'E_GIT_TIMEOUT') throw err;
      const detail = isHeliosError(err) ? err.message.replace(repo.source, repo.display) : String(err);
      throw new HeliosError('E_REPOSITORY_UNREACHABLE', `cannot fetch ${repo.display}: ${detail}; check the URL and that this host can read it`, { cause: err });
    }
  }

  private async resolveRef(dir: string, ref: string): Promise<{ sha: string; ref: string }> {
    const run = (args: string[]) => git(args, { cwd: dir, env: GIT_ENV, timeoutMs: LOCAL_TIMEOUT_MS }).then((r) => r.stdout.trim());
    const sha = await run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '');
    if (!SHA.test(sha)) throw new HeliosError('E_REF_NOT_FOUND', `ref ${JSON.stringify(ref)} does not name a commit in the repository; check the branch, tag or sha`);
    let full = SHA.test(ref) ? '' : await run(['rev-parse', '--symbolic-full-name', ref]).catch(() => '');
    if (!full.startsWith('refs/heads/') && !full.startsWith('refs/tags/')) {
      // A sha: name it after a branch or tag pointing at it, so branch filters still apply.
      const names = (await run(['for-each-ref', '--points-at', sha, '--format=%(refname)', 'refs/heads', 'refs/tags'])).split('\n').filter(Boolean);
      full = names[0] ?? 'refs/heads/detached';
    }
    await run(['update-ref', `refs/helios/pins/${sha}`, sha]);
    return { sha, ref: full };
  }
}
