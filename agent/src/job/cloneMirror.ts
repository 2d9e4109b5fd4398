/**
 * The job's private mirror: a bare repository in the agent's own directory (mode 700, outside the
 * workspace) holding everything the job's checkouts need, fetched at "Set up job" with the clone
 * credential. Every checkout after that — the workspace's and each `actions/checkout` step's —
 * fetches from this mirror with no credential at all, so none exists once user steps run.
 *
 * What is fetched: the job's sha (depth = the deepest checkout of it), each ref a checkout names
 * when it is known at job start (checkoutNeeds.ts), and all branches and tags with full history when
 * a checkout asks fetch-depth 0 or a depth not known at job start. Refs land under refs/helios/*
 * (branches and tags under their own names), so the mirror's config, remotes and FETCH_HEAD never
 * name the credential: git is given the URL as an argument, the credential only in its environment.
 */
import { appendFileSync, chmodSync, mkdirSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { credentialEnv, type CloneSource } from './cloneCredential.js';
import type { CheckoutNeeds } from './checkoutNeeds.js';
import { gitOutput, runGit } from './git.js';
import type { JobContext } from './jobContext.js';

export const SAFE_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** A branch, tag or ref name a checkout may name (no option, no `..`, no revision syntax). */
export const SAFE_REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/@+-]+$/;

const HOW_TO =
  'The agent fetches what every actions/checkout step needs during "Set up job" and discards the clone credential before the first step runs, so a later step cannot fetch anything new. ' +
  'Give `ref:` as a literal (or an expression over github, env, matrix, inputs, needs or vars only), or set `fetch-depth: 0` on a checkout step of the job so every branch and tag is fetched.';

export type Resolution = { ok: true; sha: string } | { ok: false; message: string };

export class CloneMirror {
  /** Name a checkout step writes (`main`, `v1`, `refs/pull/1/head`) → commit sha. */
  private readonly refs = new Map<string, string>();
  /** Commit sha → depth fetched (0 = full history). */
  private readonly depths = new Map<string, number>();
  private readonly unknownRefs = new Map<string, string>();
  /** Refs named at job start that the repository did not give (the fetch failed). */
  private readonly failedRefs = new Set<string>();

  private constructor(
    private readonly job: JobContext,
    readonly dir: string,
    readonly full: boolean,
    private readonly jobSha: string,
  ) {}

  /** `<workDir>/_agent/mirror.git`, made fresh; the directory is the agent's, mode 700. */
  static location(workDir: string): string {
    return join(workDir, '_agent', 'mirror.git');
  }

  /** Fetches everything `needs` asks from `source` (with its credential) into a fresh mirror. */
  static async prepare(job: JobContext, step: string, source: CloneSource, needs: CheckoutNeeds): Promise<CloneMirror | null> {
    const url = source.url;
    if (url.startsWith('-') || /[\r\n]/.test(url)) throw new Error(`refusing clone URL ${JSON.stringify(url)}`);
    const sha = job.spec.repository.sha;
    if (!SAFE_SHA.test(sha)) throw new Error(`the job's sha ${JSON.stringify(sha)} is not a commit id`);
    const dir = CloneMirror.location(job.opts.workDir);
    const parent = join(dir, '..');
    rmSync(parent, { recursive: true, force: true });
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    chmodSync(parent, 0o700);
    const mirror = new CloneMirror(job, dir, needs.full, sha);
    for (const c of needs.checkouts) if (c.ref === undefined) mirror.unknownRefs.set(c.stepId, c.refUnknownBecause ?? 'it is not known at job start');
    // No template: the mirror needs no sample hooks or info/exclude (a third of its files to write and remove).
    if (!(await runGit(job, step, parent, ['init', '-q', '--bare', '--template=', '--', dir]))) return null;
    // Checkout steps fetch commits by id from here. Appended to the fresh repository's own config
    // file (what `git config uploadpack.allowAnySHA1InWant true` writes) without starting git again.
    appendFileSync(join(dir, 'config'), '[uploadpack]\n\tallowAnySHA1InWant = true\n');

    const config = { ...credentialEnv(source), ...localTransport(url) };
    const fetch = (depth: number, refspecs: string[], level: 'error' | 'warning' = 'error') =>
      runGit(job, step, dir, ['fetch', '-q', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--update-head-ok', ...(depth > 0 ? [`--depth=${depth}`] : []), '--', url, ...refspecs], config, level);

    if (needs.full) {
      job.system(step, 'Fetching every branch and tag with full history (a checkout step asks fetch-depth 0, or a depth not known at job start)');
      if (!(await fetch(0, ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']))) return null;
    }
    // The job's own commit: deep enough for the deepest checkout of it (and the workspace's depth 1).
    const shaDepth = needs.full ? 0 : Math.max(1, ...needs.checkouts.filter((c) => c.ref === null || c.ref === sha).map((c) => c.depth ?? 0));
    if (!(await fetch(shaDepth, [`+${sha}:refs/helios/sha/${sha}`]))) return null;
    mirror.depths.set(sha, shaDepth);

    const others = new Map<string, number>();
    for (const c of needs.checkouts) {
      if (typeof c.ref !== 'string' || c.ref === sha) continue;
      const depth = needs.full ? 0 : Math.max(others.get(c.ref) ?? 1, c.depth ?? 0);
      others.set(c.ref, depth);
    }
    let n = 0;
    for (const [ref, depth] of others) {
      if (!SAFE_SHA.test(ref) && !SAFE_REF.test(ref)) continue; // the step itself refuses it, clearly
      const dest = SAFE_SHA.test(ref) ? `refs/helios/sha/${ref}` : `refs/helios/ref/${n++}`;
      job.system(step, `Fetching ${ref}${depth > 0 ? ` (depth ${depth})` : ''} for a checkout step`);
      // A ref that does not exist is the step's failure, not the setup's.
      if (!(await fetch(depth, [`+${ref}:${dest}`], 'warning'))) {
        mirror.failedRefs.add(ref);
        continue;
      }
      const commit = await gitOutput(job, dir, ['rev-parse', '--verify', '-q', `${dest}^{commit}`]);
      if (commit === null) continue;
      mirror.refs.set(ref, commit);
      mirror.depths.set(commit, Math.max(mirror.depths.get(commit) ?? 1, depth));
    }
    return mirror;
  }

  /**
   * The commit a checkout step asking `target` at `depth` gets from the mirror, or why it cannot:
   * the mirror holds only what was fetched at setup.
   */
  async resolve(stepId: string, target: string, depth: number): Promise<Resolution> {
    let sha: string | null = null;
    if (this.refs.has(target)) sha = this.refs.get(target)!;
    else if (SAFE_SHA.test(target)) sha = (await this.has(target)) ? target : null;
    else if (SAFE_REF.test(target)) sha = await this.lookup(target);
    if (sha === null) {
      const why = this.unknownRefs.get(stepId);
      if (this.failedRefs.has(target)) return { ok: false, message: `actions/checkout: ${target} could not be fetched from the repository when the job was set up (see the warning in "Set up job"); check that the branch, tag or commit exists` };
      const detail = why !== undefined ? `its ref could not be known before the job's steps ran (${why})` : 'it was not among the refs the job\'s checkout steps named at job start';
      return { ok: false, message: `actions/checkout: ${target} was not fetched when the job was set up: ${detail}. ${HOW_TO}` };
    }
    if (!this.full) {
      const have = this.depths.get(sha) ?? 1;
      if (depth === 0 || (have !== 0 && depth > have)) {
        return { ok: false, message: `actions/checkout: ${target} was fetched with depth ${have} when the job was set up, and this step asks ${depth === 0 ? 'full history (fetch-depth 0)' : `depth ${depth}`}; its fetch-depth was not known at job start. ${HOW_TO}` };
      }
    }
    return { ok: true, sha };
  }

  /** The job's own commit (for the workspace's checkout at setup). */
  get sha(): string {
    return this.jobSha;
  }

  remove(): void {
    rmSync(join(this.dir, '..'), { recursive: true, force: true });
  }

  private async has(sha: string): Promise<boolean> {
    return (await gitOutput(this.job, this.dir, ['cat-file', '-e', `${sha}^{commit}`])) !== null;
  }

  /** A branch or tag by the name rules git uses (refs/heads/…, refs/tags/…); only full mirrors have them. */
  private async lookup(name: string): Promise<string | null> {
    return gitOutput(this.job, this.dir, ['rev-parse', '--verify', '-q', '--end-of-options', `${name}^{commit}`]);
  }
}

/** Local clone URLs (tests, host mirrors): submodules may use the file transport too. */
export function localTransport(url: string): Record<string, string> {
  return url.startsWith('file://') || isAbsolute(url) ? { 'protocol.file.allow': 'always' } : {};
}
