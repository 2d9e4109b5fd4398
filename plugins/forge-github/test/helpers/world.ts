import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '@helios-ci/sdk';
import { GitHubForge, type GitHubForgeOptions } from '../../src/githubForge.js';
import { parsePrivateKey } from '../../src/appJwt.js';
import { GitHubStandIn, type Role, type StandInOptions, type StandInRepo } from '../standIn/server.js';
import { TEST_WEBHOOK_SECRET } from './fixtures.js';

/** A real git repository in a temp directory. */
export class GitRepo {
  readonly dir: string;

  constructor(name = 'widget') {
    this.dir = join(mkdtempSync(join(tmpdir(), 'helios-gh-repo-')), name);
    mkdirSync(this.dir);
    this.git('init', '-q', '-b', 'main');
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
    rmSync(dirname(this.dir), { recursive: true, force: true });
  }
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** A logger that keeps every line (to check nothing secret is logged). */
export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger, lines };
  return logger;
}

export const OWNER = 'acme';
export const INSTALLATION = 31337;

export interface World {
  standIn: GitHubStandIn;
  repo: GitRepo;
  ghRepo: StandInRepo;
  sha: string;
  forge(overrides?: Partial<GitHubForgeOptions>): GitHubForge;
  cleanup(): Promise<void>;
}

export const WORKFLOW = 'name: CI\non: push\njobs:\n  build:\n    runs-on: local\n    steps:\n      - run: echo hello\n';

/** A started stand-in serving one repository (with a workflow) of one installation. */
export async function createWorld(options: StandInOptions & { collaborators?: Record<string, Role>; files?: Record<string, string> } = {}): Promise<World> {
  const standIn = new GitHubStandIn(options);
  await standIn.start();
  const repo = new GitRepo();
  for (const [path, content] of Object.entries(options.files ?? { '.github/workflows/ci.yml': WORKFLOW, 'README.md': '# widget\n' })) repo.write(path, content);
  const sha = repo.commit('initial');
  const ghRepo = standIn.addRepo({ owner: OWNER, name: 'widget', installationId: INSTALLATION, dir: repo.dir, collaborators: options.collaborators ?? { alice: 'admin', bob: 'write', carol: 'read', dave: 'maintain', erin: 'triage' } });
  const key = parsePrivateKey(standIn.privateKeyPem, 'github');
  return {
    standIn,
    repo,
    ghRepo,
    sha,
    forge: (overrides = {}) =>
      new GitHubForge({ id: 'github', appId: standIn.appId, key, webhookSecret: TEST_WEBHOOK_SECRET, baseUrl: standIn.apiUrl, checkName: '{workflow} / {job}', logger: silentLogger, retryBaseMs: 20, ...overrides }),
    async cleanup() {
      await standIn.stop();
      repo.cleanup();
    },
  };
}
