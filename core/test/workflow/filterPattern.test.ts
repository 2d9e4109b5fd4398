import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matchesFilters } from '../../src/workflow/index.js';

// GitHub docs, "Workflow syntax for GitHub Actions → Filter pattern cheat sheet".
const branchTable: Array<[string[], string[], string[]]> = [
  [['feature/*'], ['feature/my-branch', 'feature/your-branch'], ['feature/a/b', 'feature']],
  [['feature/**'], ['feature/beta-a/my-branch', 'feature/your-branch', 'feature/mona/the/octocat'], ['features/x']],
  [['main', 'releases/mona-the-octocat'], ['main', 'releases/mona-the-octocat'], ['main2', 'releases/other']],
  [['*'], ['main', 'releases'], ['releases/x']],
  [['**'], ['all/the/branches', 'every/tag'], []],
  [['*feature'], ['mona-feature', 'feature', 'ver-10-feature'], ['feature/x', 'features']],
  [['v2*'], ['v2', 'v2.0', 'v2.9'], ['v1.0', 'v20/x']],
  [['v[12].[0-9]+.[0-9]+'], ['v1.10.1', 'v2.0.0'], ['v3.0.0', 'v1.x.1', 'v1.0']],
];
const pathTable: Array<[string[], string[], string[]]> = [
  [['*'], ['README.md', 'server.rb'], ['docs/README.md']],
  [['*.jsx?'], ['page.js', 'page.jsx'], ['page.jsxx', 'src/page.js']],
  [['**'], ['all/the/files.md'], []],
  [['*.js'], ['app.js', 'index.js'], ['js/index.js']],
  [['**.js'], ['index.js', 'js/index.js', 'src/js/app.js'], ['index.jsx']],
  [['docs/*'], ['docs/README.md', 'docs/file.txt'], ['docs/mona/octocat.txt']],
  [['docs/**'], ['docs/README.md', 'docs/mona/octocat.txt'], ['README.md']],
  [['docs/**/*.md'], ['docs/README.md', 'docs/mona/hello-world.md', 'docs/a/markdown/guide.md'], ['docs/a.txt']],
  [['**/docs/**'], ['docs/hello.md', 'dir/docs/my-file.txt', 'space/docs/plan/space.doc'], ['mydocs/x']],
  [['**/README.md'], ['README.md', 'js/README.md'], ['README.txt']],
  [['**/*src/**'], ['a/src/app.js', 'my-src/code/js/app.js'], ['source/app.js']],
  [['**/*-post.md'], ['my-post.md', 'path/their-post.md'], ['post.md']],
  [['**/migrate-*.sql'], ['migrate-10909.sql', 'db/migrate-v1.0.sql', 'db/sept/migrate-v1.sql'], ['migrate.sql']],
  [['*.md', '!README.md'], ['hello.md'], ['README.md', 'docs/hello.md']],
  [['*.md', '!README.md', 'README*'], ['hello.md', 'README.md', 'README.doc'], []],
];

for (const [kind, table] of [['branch/tag', branchTable], ['path', pathTable]] as const) {
  for (const [patterns, yes, no] of table) {
    test(`${kind} patterns ${JSON.stringify(patterns)}`, () => {
      for (const v of yes) assert.ok(matchesFilters(patterns, v), `${v} should match`);
      for (const v of no) assert.not.ok(matchesFilters(patterns, v), `${v} should not match`);
    });
  }
}

test('negation is evaluated in order: a later positive pattern re-selects', () => {
  assert.ok(matchesFilters(['releases/**', '!releases/**-alpha', 'releases/1-alpha'], 'releases/1-alpha'));
  assert.not.ok(matchesFilters(['releases/**', '!releases/**-alpha'], 'releases/2-alpha'));
  assert.ok(matchesFilters(['!releases/**-alpha', 'releases/**'], 'releases/2-alpha'), 'the last matching pattern wins');
});

test('escaped special characters match literally', () => {
  assert.ok(matchesFilters(['docs/\\*.md'], 'docs/*.md'));
  assert.not.ok(matchesFilters(['docs/\\*.md'], 'docs/a.md'));
  assert.ok(matchesFilters(['a.b'], 'a.b'));
  assert.not.ok(matchesFilters(['a.b'], 'axb'), 'a dot is not a regex wildcard');
});

test.run();
