// `helios validate` on workflows moved from vmactions: a `shell:` that names no known shell and that
// no earlier vmactions step provides is a warning (exit code unchanged); vmactions problems that need
// no configuration (arch) are problems.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRootDir } from './fixtures.js';

const bin = join(repoRootDir, 'core/dist/src/cli/bin.js');
const helios = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });

function withRepo(workflows: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-vmv-'));
  try {
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, '.github/workflows'), { recursive: true });
    for (const [name, text] of Object.entries(workflows)) writeFileSync(join(dir, '.github/workflows', name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const job = (steps: string) => `on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
const vm = (extra = '') => `      - uses: vmactions/omnios-vm@v1\n        with:\n${extra}          prepare: pkg install developer/gcc14\n`;

test('a custom shell after the vmactions step that provides it is no warning (default name and custom-shell-name)', () => {
  withRepo(
    {
      'a.yml': job(`${vm()}      - shell: omnios {0}\n        run: gmake\n      - shell: bash\n        run: echo\n      - shell: perl {0}\n        run: print 1\n`),
      'b.yml': job(`${vm('          custom-shell-name: illumos\n')}      - shell: illumos {0}\n        run: gmake\n`),
    },
    (dir) => {
      const r = helios(['validate'], dir);
      assert.is(r.status, 0, r.stdout + r.stderr);
      assert.is(r.stdout, 'ok: 2 workflow files, no problems\n');
    },
  );
});

test('a shell no vmactions step provides (none, after it, or another name) is a warning with its position; exit 0; --json lists it', () => {
  withRepo(
    {
      'a.yml': job(`      - shell: omnios {0}\n        run: gmake\n${vm()}      - shell: illumos {0}\n        run: gmake\n      - shell: bsah\n        run: echo\n`),
    },
    (dir) => {
      const r = helios(['validate'], dir);
      assert.is(r.status, 0, r.stdout + r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.is(lines.length, 4, r.stdout);
      assert.match(lines[0]!, /^\.github\/workflows\/a\.yml:6:16: warning: job "j", step 1: shell "omnios \{0\}" names no known shell: /);
      assert.match(lines[1]!, /^\.github\/workflows\/a\.yml:11:16: warning: job "j", step 3: shell "illumos \{0\}" names no known shell \(the vmactions steps before it provide "omnios \{0\}"\)/);
      assert.match(lines[2]!, /a\.yml:13:16: warning: job "j", step 4: shell "bsah"/);
      assert.is(lines[3], 'ok: 1 workflow file, no problems (3 warnings)');
      const j = JSON.parse(helios(['validate', '--json'], dir).stdout) as { problems: unknown[]; warnings: Array<{ code: string; line: number }> };
      assert.equal(j.problems, []);
      assert.equal(j.warnings.map((w) => [w.code, w.line]), [['W_WORKFLOW_SHELL', 6], ['W_WORKFLOW_SHELL', 11], ['W_WORKFLOW_SHELL', 13]]);
    },
  );
});

test('validate reports a vmactions arch other than x86_64 (no configuration needed to know it)', () => {
  withRepo({ 'a.yml': job(`      - uses: vmactions/omnios-vm@v1\n        with:\n          arch: aarch64\n          run: uname -m\n`) }, (dir) => {
    const r = helios(['validate'], dir);
    assert.is(r.status, 1);
    assert.match(r.stdout, /a\.yml:8:17: job "j": vmactions\/omnios-vm@v1 arch "aarch64" is not available/);
  });
});

test.run();
