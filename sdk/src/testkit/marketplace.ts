import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One fixture action repository: its files and the tags made at its only commit. */
export interface MarketplaceRepo {
  files: Record<string, string>;
  /** Tags (and branches besides main) pointing at the commit. */
  tags?: string[];
}

/** A node20 action with pre/main/post, inputs (a default, a required one) and an output. */
export const NODE_ACTION_YML = `name: Greeter
description: Greets, remembering the greeting for its post step
inputs:
  greeting:
    description: what to say
    default: hello
  who:
    description: whom to greet
    required: true
outputs:
  said:
    description: what was said
runs:
  using: node20
  pre: pre.js
  pre-if: runner.os == 'illumos'
  main: dist/main.js
  post: post.js
  post-if: always()
`;

/** The fixture marketplace of the remote action tests: node, composite (using the node one) and docker actions. */
export const MARKETPLACE: Record<string, MarketplaceRepo> = {
  'acme/greeter': {
    files: {
      'action.yml': NODE_ACTION_YML,
      'pre.js': "require('fs').appendFileSync(process.env.GITHUB_STATE, 'started=1\\n');\n",
      'dist/main.js': "const g = process.env['INPUT_GREETING']; require('fs').appendFileSync(process.env.GITHUB_OUTPUT, `said=${g} ${process.env['INPUT_WHO']}\\n`);\n",
      'post.js': "console.log('post', process.env.STATE_started);\n",
    },
    tags: ['v1', 'v1.0.0'],
  },
  'acme/toolbox': {
    files: {
      'README.md': 'actions in sub-directories\n',
      'setup/action.yml': `name: Setup
description: A composite action that uses another remote action
inputs:
  who:
    description: whom
    default: world
outputs:
  said:
    description: from the greeter
    value: \${{ steps.greet.outputs.said }}
runs:
  using: composite
  steps:
    - id: greet
      uses: acme/greeter@v1
      with:
        who: \${{ inputs.who }}
    - run: echo done
      shell: bash
`,
      'container/action.yaml': `name: Container
description: A docker action
runs:
  using: docker
  image: Dockerfile
`,
      'container/Dockerfile': 'FROM alpine:3.19\n',
    },
    tags: ['v2'],
  },
};

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

/**
 * Real git repositories `<dir>/<owner>/<name>` made from fixture repositories (branch main, the
 * tags given): what the forge stand-ins serve and what a directory action source reads.
 */
export class TestMarketplace {
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-marketplace-'));
  /** The commit of each repository's main (and tags), by `owner/name`. */
  readonly shas = new Map<string, string>();

  constructor(repos: Record<string, MarketplaceRepo> = MARKETPLACE) {
    for (const [full, repo] of Object.entries(repos)) this.add(full, repo);
  }

  repoDir(full: string): string {
    return join(this.dir, ...full.split('/'));
  }

  add(full: string, repo: MarketplaceRepo): string {
    const dir = this.repoDir(full);
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    for (const [path, content] of Object.entries(repo.files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'release');
    for (const tag of repo.tags ?? []) git(dir, 'tag', '-f', tag);
    const sha = git(dir, 'rev-parse', 'HEAD');
    this.shas.set(full, sha);
    return sha;
  }

  /** A new commit on main changing `path`, with `tag` moved to it (a release tag that moves). */
  move(full: string, tag: string, path: string, content: string): string {
    const dir = this.repoDir(full);
    writeFileSync(join(dir, path), content);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'moved');
    git(dir, 'tag', '-f', tag);
    const sha = git(dir, 'rev-parse', 'HEAD');
    this.shas.set(full, sha);
    return sha;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
