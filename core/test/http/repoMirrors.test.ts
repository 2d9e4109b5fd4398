import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RepoMirrors, validateRef, validateRepository } from '../../src/http/api/repoMirrors.js';
import { LocalRepository } from '../../src/localRepo/localRepository.js';
import { GitRepo as TestRepo } from '../helpers/gitRepo.js';

/** The error code a promise rejects with ('resolved' if it does not). */
const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (err: Error & { code?: string }) => err.code ?? err.message);

test('repositories: http(s), git, file URLs and absolute paths; options, ssh, ext and relative paths are refused', () => {
  assert.is(validateRepository('https://example.org/acme/widgets.git').name, 'widgets');
  assert.is(validateRepository('git://example.org/acme/widgets').source, 'git://example.org/acme/widgets');
  assert.is(validateRepository('file:///srv/git/tools.git/').name, 'tools');
  assert.is(validateRepository('/srv/git/../git/tools').source, '/srv/git/tools');
  assert.is(validateRepository('https://user:pw@example.org/a/b.git').display, 'https://example.org/a/b.git');
  for (const bad of ['-uhelp', '--upload-pack=touch /tmp/x', 'ssh://host/repo', 'ext::sh -c touch% /tmp/pwned', 'git@github.com:a/b.git', 'relative/path', 'file://host/x', 'https://exa mple.org/\n', 'ftp://example.org/x']) {
    assert.throws(() => validateRepository(bad), (err: Error & { code?: string }) => err.code === 'E_REPOSITORY_INVALID', bad);
  }
});

test('refs: names and shas are accepted; options and traversal are refused', () => {
  for (const ok of ['main', 'v1.2.3', 'refs/heads/feature/x', 'a'.repeat(40)]) validateRef(ok);
  for (const bad of ['-x', '--upload-pack=x', 'a..b', 'main.lock', 'x/', 'a b', 'refs//heads']) {
    assert.throws(() => validateRef(bad), (err: Error & { code?: string }) => err.code === 'E_REF_INVALID', bad);
  }
});

test('a mirror is cloned once, fetched on later requests, resolves branches, tags and shas, and pins commits', async () => {
  const repo = new TestRepo();
  const data = mkdtempSync(join(tmpdir(), 'helios-mirrors-'));
  try {
    repo.write('a.txt', '1\n');
    const first = repo.commit('one');
    repo.git('tag', 'v1');
    const mirrors = new RepoMirrors(join(data, 'mirrors'));

    const byBranch = await mirrors.resolve(repo.dir, 'main');
    assert.equal({ sha: byBranch.sha, ref: byBranch.ref }, { sha: first, ref: 'refs/heads/main' });
    assert.ok(byBranch.dir.startsWith(join(data, 'mirrors')));
    assert.is(execFileSync('git', ['rev-parse', '--is-bare-repository'], { cwd: byBranch.dir, encoding: 'utf8' }).trim(), 'true');
    // The planner reads workflows from the mirror through LocalRepository.
    const local = await LocalRepository.open(byBranch.dir);
    assert.is(local.root, byBranch.dir);
    assert.is(local.name, byBranch.name);
    assert.is(await local.readFile(first, 'a.txt'), '1\n');

    assert.equal((await mirrors.resolve(`file://${repo.dir}`, 'v1')).ref, 'refs/tags/v1');

    repo.write('a.txt', '2\n');
    const second = repo.commit('two');
    // The same source reuses its mirror and sees the new commit.
    const moved = await mirrors.resolve(repo.dir, 'refs/heads/main');
    assert.is(moved.dir, byBranch.dir);
    assert.is(moved.sha, second);

    // A sha no ref points at any more is still resolvable (pinned), named detached.
    repo.git('reset', '-q', '--hard', first);
    repo.git('tag', '-d', 'v1');
    const old = await mirrors.resolve(repo.dir, second);
    assert.equal({ sha: old.sha, ref: old.ref }, { sha: second, ref: 'refs/heads/detached' });
    const bySha = await mirrors.resolve(repo.dir, first);
    assert.is(bySha.ref, 'refs/heads/main');
    assert.is(execFileSync('git', ['rev-parse', `refs/helios/pins/${second}`], { cwd: old.dir, encoding: 'utf8' }).trim(), second);

    assert.is(await codeOf(mirrors.resolve(repo.dir, 'no-such-branch')), 'E_REF_NOT_FOUND');
    assert.is(await codeOf(mirrors.resolve(join(data, 'missing'), 'main')), 'E_REPOSITORY_UNREACHABLE');
    // A failed clone leaves no half-made mirror behind.
    const leftovers = readdirSync(join(data, 'mirrors')).flatMap((d) => readdirSync(join(data, 'mirrors', d)));
    // Two mirrors (the path and its file:// URL are different sources), and nothing else.
    assert.equal(leftovers, [`${byBranch.name}.git`, `${byBranch.name}.git`]);
  } finally {
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  }
});

test('concurrent requests for one repository are serialised (no git lock errors)', async () => {
  const repo = new TestRepo();
  const data = mkdtempSync(join(tmpdir(), 'helios-mirrors-'));
  try {
    const sha = repo.commit('one');
    const mirrors = new RepoMirrors(join(data, 'mirrors'));
    const results = await Promise.all(Array.from({ length: 6 }, () => mirrors.resolve(repo.dir, 'main')));
    assert.ok(results.every((r) => r.sha === sha && r.dir === results[0]!.dir));
    assert.ok(existsSync(results[0]!.dir));
  } finally {
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  }
});

test.run();
