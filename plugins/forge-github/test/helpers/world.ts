import type { Logger } from '@helios-ci/sdk';
import { GitHubForge, type GitHubForgeOptions } from '../../src/githubForge.js';
import { parsePrivateKey } from '../../src/appJwt.js';
import { GitHubStandIn, type Role, type StandInOptions, type StandInRepo } from '../standIn/server.js';
import { TEST_WEBHOOK_SECRET } from './fixtures.js';

/** The sdk test kit's repository helper, under the name these tests use. */
import { TestGitRepo as GitRepo } from '@helios-ci/sdk/testkit';

export { GitRepo };

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
