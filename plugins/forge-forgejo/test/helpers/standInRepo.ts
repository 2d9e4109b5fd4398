import { ForgejoStandIn, type StandInOptions } from '../standIn/server.js';
import { GitRepo } from './gitRepo.js';

export const TOKEN = 'test-token-0123456789';

/** acme/widget with workflows in both folders, served by a fresh stand-in. */
export async function standInWithRepo(options: Partial<StandInOptions> = {}): Promise<{ standIn: ForgejoStandIn; repo: GitRepo; sha: string; cleanup(): Promise<void> }> {
  const repo = new GitRepo();
  repo.write('.forgejo/workflows/ci.yml', 'on: push\njobs:\n  build:\n    runs-on: local\n    steps:\n      - run: echo forgejo\n');
  repo.write('.github/workflows/lint.yaml', 'on: push\njobs:\n  lint:\n    runs-on: local\n    steps:\n      - run: echo "héllo ✓"\n');
  repo.write('.github/workflows/README.md', 'not a workflow\n');
  repo.write('.github/workflows/nested/skip.yml', 'on: push\n');
  repo.write('src/main.txt', 'main\n');
  const sha = repo.commit('initial');
  const standIn = await ForgejoStandIn.start({
    token: TOKEN,
    repos: [{ owner: 'acme', name: 'widget', dir: repo.dir, id: 42 }],
    permissions: { acme: 'owner', alice: 'write', root: 'admin', carol: 'read' },
    ...options,
  });
  return {
    standIn,
    repo,
    sha,
    async cleanup() {
      await standIn.stop();
      repo.cleanup();
    },
  };
}
