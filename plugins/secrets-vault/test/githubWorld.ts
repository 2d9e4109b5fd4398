// The GitHub stand-in and its helpers live in forge-github's tests; the end-to-end tests here load
// their compiled modules (built by the root `tsc -b`) rather than copy them. Only what is used is typed.
import { randomUUID } from 'node:crypto';
import { startHeliosServe, waitFor, type HeliosServe } from '@helios-ci/sdk/testkit';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SHARED } from './standIn/vaultSpec.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CLI = join(REPO_ROOT, 'core/dist/src/cli/bin.js');
const GH_TEST = join(REPO_ROOT, 'plugins/forge-github/dist/test');

export interface CheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string;
  output: { title: string | null; summary: string | null; text: string | null };
}

export interface World {
  standIn: { appId: number; apiUrl: string; privateKeyPem: string; runs(): CheckRun[]; rejections: unknown[] };
  repo: { dir: string };
  ghRepo: { id: number };
  sha: string;
  cleanup(): Promise<void>;
}

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface GitHubHelpers {
  createWorld(o: { files: Record<string, string> }): Promise<World>;
  TEST_WEBHOOK_SECRET: string;
  INSTALLATION: number;
  OWNER: string;
  loadFixture(name: string): Payload;
  retarget(p: Payload, t: { owner: string; name: string; repoId: number; installationId: number; appId: number }): Payload;
  signedDelivery(event: string, payload: Payload, o?: { deliveryId?: string; secret?: string }): { headers: Record<string, string>; rawBody: Buffer };
  post(url: string, d: { headers: Record<string, string>; rawBody: Buffer }): Promise<Response>;
}

export async function githubHelpers(): Promise<GitHubHelpers> {
  // forge-github's stand-in finds the shared specs through this variable when not beside the checkout.
  process.env.HELIOS_SHARED_DIR ??= SHARED;
  const world = await import(pathToFileURL(join(GH_TEST, 'helpers/world.js')).href);
  const fixtures = await import(pathToFileURL(join(GH_TEST, 'helpers/fixtures.js')).href);
  return { ...world, ...fixtures } as GitHubHelpers;
}

/** A check_suite.requested delivery for `sha` of the world's repository. */
export function checkSuiteRequested(gh: GitHubHelpers, w: World, sha: string): { headers: Record<string, string>; rawBody: Buffer } {
  const p = gh.retarget(gh.loadFixture('check_suite.requested'), { owner: gh.OWNER, name: 'widget', repoId: w.ghRepo.id, installationId: gh.INSTALLATION, appId: w.standIn.appId });
  Object.assign(p.check_suite, { head_sha: sha, after: sha, before: '0'.repeat(40), head_branch: 'main' });
  return gh.signedDelivery('check_suite', p, { deliveryId: randomUUID() });
}

export type Serve = HeliosServe;

/** The real `helios serve` in `dir` on a free port, with exactly the environment given (plus PATH, HOME). */
export function startServe(dir: string, env: Record<string, string> = {}): Serve {
  return startHeliosServe(dir, { env });
}

export { waitFor };
