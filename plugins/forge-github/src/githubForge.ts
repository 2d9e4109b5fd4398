import type { KeyObject } from 'node:crypto';
import {
  HeliosError,
  isHeliosError,
  type Annotation,
  type AnnotateOptions,
  type CheckHandle,
  type CheckJob,
  type CheckResult,
  type CheckUpdate,
  type CloneAccessOptions,
  type Forge,
  type ForgeCapabilities,
  type ForgeEvent,
  type HttpRequest,
  type JobToken,
  type Logger,
  type Permission,
  type RepoRef,
  type WorkflowFile,
  permissionFromRole,
  webhookHeader,
} from '@helios-ci/sdk';
import { GitHubClient } from './client.js';
import { renderCheckName } from './checkName.js';
import { ACTIONS, annotationKey, batches, MAX_ANNOTATIONS_PER_REQUEST, clampSummary, clampText, toGitHubAnnotation, type GitHubAction, type GitHubAnnotation } from './checkOutput.js';
import { deriveWebUrl } from './config.js';
import { mapWebhook } from './events.js';
import { verifySignature } from './signature.js';

export interface GitHubForgeOptions {
  id: string;
  appId: number;
  key: KeyObject;
  webhookSecret: string;
  baseUrl: string;
  webUrl?: string;
  checkName: string;
  allowedOwners?: string[];
  logger: Logger;
  /** Client tuning (tests): plugin-retry attempts and delay unit, token refresh margin. */
  retries?: number;
  retryBaseMs?: number;
  tokenRefreshMarginMs?: number;
}

/** What a handle keeps (persisted by the kernel as JSON) so any process can keep writing to the run. */
interface HandleData {
  checkRunId: number;
  installationId: string;
  owner: string;
  repo: string;
  jobId: string;
  approval: boolean;
  workflowFile?: string;
}

interface CheckRunJson {
  id: number;
  external_id: string | null;
  app?: { id?: number } | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null; annotations_count?: number };
}

const WORKFLOW_DIR = '.github/workflows';
const WORKFLOW_FILE = /\.ya?ml$/;
const APPROVAL_SUMMARY =
  'This pull request comes from a fork, so Helios does not run its workflows on its own.\n\n' +
  'A user with **write** (or admin) access to this repository must press **Approve and run** above after reviewing the changes. ' +
  'Approved fork runs never receive secrets.';

const header = webhookHeader;

/** A GitHub (or GitHub Enterprise Server) App as a Helios forge. */
export class GitHubForge implements Forge {
  readonly id: string;
  readonly capabilities: ForgeCapabilities = {
    checkRuns: true,
    annotations: true,
    liveLog: true,
    actions: true,
    maxLogChars: 65_535,
    // GitHub's secondary limit for content-creating requests, per installation.
    requestsPerMinute: 80,
  };
  private readonly client: GitHubClient;
  private readonly webUrl: string;
  private readonly allowedOwners: readonly string[] | null;
  private readonly installations = new Map<string, string>();

  constructor(private readonly o: GitHubForgeOptions) {
    this.id = o.id;
    this.webUrl = (o.webUrl ?? deriveWebUrl(o.baseUrl)).replace(/\/+$/, '');
    this.allowedOwners = o.allowedOwners ?? null;
    this.client = new GitHubClient({
      forgeId: o.id,
      appId: o.appId,
      key: o.key,
      baseUrl: o.baseUrl,
      logger: o.logger,
      ...(o.retries !== undefined ? { retries: o.retries } : {}),
      ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
      ...(o.tokenRefreshMarginMs !== undefined ? { tokenRefreshMarginMs: o.tokenRefreshMarginMs } : {}),
    });
  }

  async verifyAndParse(req: Pick<HttpRequest, 'headers' | 'rawBody'>): Promise<ForgeEvent | null> {
    verifySignature(this.o.webhookSecret, req.rawBody, header(req.headers, 'x-hub-signature-256'), this.id);
    const event = header(req.headers, 'x-github-event');
    const deliveryId = header(req.headers, 'x-github-delivery');
    if (!event || !deliveryId) {
      throw new HeliosError('E_WEBHOOK_INVALID', `GitHub forge ${this.id}: the delivery lacks X-GitHub-Event or X-GitHub-Delivery`);
    }
    let body: Record<string, unknown>;
    try {
      let text = req.rawBody.toString('utf8');
      // A webhook configured as form-encoded carries the JSON in `payload=`.
      if (/^payload=/.test(text)) text = new URLSearchParams(text).get('payload') ?? '';
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new HeliosError('E_WEBHOOK_INVALID', `GitHub forge ${this.id}: delivery ${deliveryId} is not JSON; set the webhook content type to application/json`);
    }
    if (!body || typeof body !== 'object') throw new HeliosError('E_WEBHOOK_INVALID', `GitHub forge ${this.id}: delivery ${deliveryId} is not a JSON object`);
    const mapped = mapWebhook(event, body, { forge: this.id, deliveryId, appId: this.o.appId, allowedOwners: this.allowedOwners });
    if (mapped === null) this.o.logger.debug('webhook ignored', { event, action: body.action, delivery: deliveryId });
    return mapped;
  }

  // ── repository contents ───────────────────────────────────────────────────────────────────────

  async fetchWorkflows(repo: RepoRef, sha: string): Promise<WorkflowFile[]> {
    const installationId = await this.installationOf(repo);
    let listing: unknown;
    try {
      listing = (await this.client.request<unknown>(installationId, 'GET /repos/{owner}/{repo}/contents/{path}', { owner: repo.owner, repo: repo.name, path: WORKFLOW_DIR, ref: sha }, `listing ${WORKFLOW_DIR} of ${repo.owner}/${repo.name}@${sha}`)).data;
    } catch (err) {
      if (notFound(err)) return [];
      throw err;
    }
    if (!Array.isArray(listing)) return [];
    const paths = (listing as { type?: string; name?: string; path?: string }[])
      .filter((e) => e.type === 'file' && typeof e.name === 'string' && WORKFLOW_FILE.test(e.name))
      .map((e) => e.path ?? `${WORKFLOW_DIR}/${e.name}`)
      .sort();
    const files = await Promise.all(paths.map(async (path) => ({ path, content: await this.fetchFile(repo, sha, path) })));
    return files.filter((f): f is WorkflowFile => f.content !== null);
  }

  async fetchFile(repo: RepoRef, sha: string, path: string): Promise<string | null> {
    const installationId = await this.installationOf(repo);
    try {
      const res = await this.client.request<unknown>(
        installationId,
        'GET /repos/{owner}/{repo}/contents/{path}',
        { owner: repo.owner, repo: repo.name, path: path.replace(/^\.?\/+/, ''), ref: sha, mediaType: { format: 'raw' } },
        `reading ${path} of ${repo.owner}/${repo.name}@${sha}`,
      );
      if (typeof res.data === 'string') return res.data;
      if (res.data instanceof ArrayBuffer) return Buffer.from(res.data).toString('utf8');
      return null; // a directory (GitHub answers with a listing)
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  /**
   * The commit a branch, tag or sha names (`GET /repos/{o}/{r}/commits/{ref}` as
   * application/vnd.github.sha): remote actions are pinned to it at plan time. The installation's
   * token reads public repositories too, as the runner's does. Null: no such repository or ref.
   */
  async resolveRef(repo: RepoRef, ref: string): Promise<string | null> {
    const installationId = await this.installationOf(repo);
    try {
      const res = await this.client.request<unknown>(
        installationId,
        'GET /repos/{owner}/{repo}/commits/{ref}',
        { owner: repo.owner, repo: repo.name, ref, headers: { accept: 'application/vnd.github.sha' } },
        `resolving ${repo.owner}/${repo.name}@${ref}`,
      );
      const text = typeof res.data === 'string' ? res.data : res.data instanceof ArrayBuffer ? Buffer.from(res.data).toString('utf8') : '';
      const sha = text.trim();
      return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
    } catch (err) {
      if (notFound(err) || (isHeliosError(err) && err.upstreamStatus === 422)) return null;
      throw err;
    }
  }

  /** The repository at `sha` (`GET /repos/{o}/{r}/tarball/{sha}`, redirected to codeload): gzip tar under `owner-repo-sha7/`. */
  async fetchArchive(repo: RepoRef, sha: string): Promise<Uint8Array | null> {
    const installationId = await this.installationOf(repo);
    try {
      const res = await this.client.request<unknown>(installationId, 'GET /repos/{owner}/{repo}/tarball/{ref}', { owner: repo.owner, repo: repo.name, ref: sha }, `fetching ${repo.owner}/${repo.name}@${sha}`);
      if (res.data instanceof ArrayBuffer) return new Uint8Array(res.data);
      if (Buffer.isBuffer(res.data)) return res.data;
      return null;
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  async cloneAccess(repo: RepoRef, _options?: CloneAccessOptions): Promise<{ url: string; token?: string; expiresAt?: string }> {
    const installationId = await this.installationOf(repo);
    // The agent's token, for trusted and untrusted runs alike: this one repository, contents
    // read-only, expiring within the hour. It can write nothing, so a fork run may hold it.
    const { token, expiresAt } = await this.client.scopedToken(installationId, [repo.name], { contents: 'read' }, `creating a clone token for ${repo.owner}/${repo.name}`);
    return { url: `${this.webUrl}/${repo.owner}/${repo.name}.git`, token, expiresAt };
  }

  /**
   * A job's GITHUB_TOKEN: a new installation token for this repository only, with exactly the
   * job's permissions (GitHub adds metadata: read). GitHub refuses (422) permissions the App's
   * installation lacks; that becomes E_FORGE_JOB_TOKEN saying which were asked.
   */
  async jobToken(repo: RepoRef, permissions: Record<string, 'read' | 'write'>): Promise<JobToken> {
    const installationId = await this.installationOf(repo);
    const asked = { ...permissions, metadata: 'read' as const };
    let minted: { token: string; expiresAt: string; permissions: Record<string, string> };
    try {
      minted = await this.client.freshToken(installationId, [repo.name], asked, `creating the GITHUB_TOKEN of a job of ${repo.owner}/${repo.name}`);
    } catch (err) {
      if (isHeliosError(err) && err.upstreamStatus === 422) {
        const list = Object.entries(asked).map(([k, v]) => `${k}: ${v}`).join(', ');
        throw new HeliosError('E_FORGE_JOB_TOKEN', `GitHub refused a token with ${list} for ${repo.owner}/${repo.name} (${err.message}); grant those permissions to the GitHub App and accept them on the installation, or narrow the workflow's permissions:`);
      }
      throw err;
    }
    return {
      token: minted.token,
      expiresAt: minted.expiresAt,
      permissions: minted.permissions,
      revoke: () => this.client.revokeToken(minted.token, `revoking the GITHUB_TOKEN of a job of ${repo.owner}/${repo.name}`),
    };
  }

  async permissionOf(repo: RepoRef, user: string): Promise<Permission> {
    const installationId = await this.installationOf(repo);
    try {
      const { data } = await this.client.request<{ permission?: string; role_name?: string }>(
        installationId,
        'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
        { owner: repo.owner, repo: repo.name, username: user },
        `looking up ${user}'s permission on ${repo.owner}/${repo.name}`,
      );
      return toPermission(data.role_name, data.permission);
    } catch (err) {
      if (notFound(err)) return 'none';
      throw err;
    }
  }

  // ── checks ─────────────────────────────────────────────────────────────────────────────────────

  async openCheck(job: CheckJob): Promise<CheckHandle> {
    const installationId = await this.installationOf(job.repo);
    const name = renderCheckName(this.o.checkName, job);
    const base = { installationId, owner: job.repo.owner, repo: job.repo.name, jobId: job.jobId, approval: job.awaitingApproval === true, ...(job.workflowFile ? { workflowFile: job.workflowFile } : {}) };
    // Idempotent: a re-sent open (after a crash between GitHub's answer and the store's commit)
    // finds the run it created before by external_id instead of creating a second one.
    const existing = await this.findRun(installationId, job, name);
    if (existing) return this.handle({ ...base, checkRunId: existing.id });
    const now = new Date().toISOString();
    const body = job.awaitingApproval
      ? {
          status: 'completed',
          conclusion: 'action_required',
          completed_at: now,
          output: { title: 'Waiting for approval', summary: APPROVAL_SUMMARY },
          actions: [ACTIONS.approve],
        }
      : { status: 'queued', output: { title: 'Queued', summary: 'Waiting for a machine.' }, actions: [ACTIONS.cancel] };
    const { data } = await this.client.request<CheckRunJson>(
      installationId,
      'POST /repos/{owner}/{repo}/check-runs',
      { owner: job.repo.owner, repo: job.repo.name, name, head_sha: job.sha, external_id: job.jobId, details_url: job.detailsUrl, ...body },
      `creating check run "${name}" on ${job.repo.owner}/${job.repo.name}`,
      { retry: false },
    );
    return this.handle({ ...base, checkRunId: data.id });
  }

  async updateCheck(handle: CheckHandle, update: CheckUpdate): Promise<void> {
    const d = this.dataOf(handle);
    await this.patch(d, {
      status: update.status,
      output: this.output(update),
      actions: d.approval ? [] : [ACTIONS.cancel],
    }, 'updating');
  }

  async annotate(handle: CheckHandle, annotations: Annotation[], options: AnnotateOptions = {}): Promise<void> {
    if (annotations.length === 0) return;
    const d = this.dataOf(handle);
    let wanted = annotations.map((a) => toGitHubAnnotation(a, d.workflowFile));
    // PATCH output needs title and summary, and GitHub replaces them: send the current ones back.
    const { data: run } = await this.client.request<CheckRunJson>(d.installationId, 'GET /repos/{owner}/{repo}/check-runs/{check_run_id}', { owner: d.owner, repo: d.repo, check_run_id: d.checkRunId }, `reading check run ${d.checkRunId}`);
    // Annotations append on GitHub: a re-sent call must not add them twice. With the count the
    // kernel sent before, the run's count tells it (one PATCH lands whole); only an unexpected
    // count costs a listing.
    const count = run.output?.annotations_count ?? 0;
    const sent = options.alreadySent;
    if (sent !== undefined && count === sent + wanted.length && wanted.length <= MAX_ANNOTATIONS_PER_REQUEST) return;
    if (count > 0 && count !== sent) wanted = await this.withoutExisting(d, wanted, count);
    const output = { title: run.output?.title || 'Annotations', summary: run.output?.summary || 'See the annotations below.', ...(run.output?.text ? { text: run.output.text } : {}) };
    for (const batch of batches(wanted)) {
      await this.patch(d, { output: { ...output, annotations: batch } }, 'annotating', false);
    }
  }

  async closeCheck(handle: CheckHandle, result: CheckResult): Promise<void> {
    const d = this.dataOf(handle);
    const actions: GitHubAction[] = d.approval ? [] : [ACTIONS.rerun];
    await this.patch(d, { status: 'completed', conclusion: result.conclusion, completed_at: new Date().toISOString(), output: this.output(result), actions }, 'completing');
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  private output(o: { title: string; summary: string; text?: string }): { title: string; summary: string; text?: string } {
    return { title: o.title || 'Helios', summary: clampSummary(o.summary || ' '), ...(o.text ? { text: clampText(o.text) } : {}) };
  }

  private async patch(d: HandleData, body: Record<string, unknown>, what: string, retry = true): Promise<void> {
    await this.client.request(
      d.installationId,
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}',
      { owner: d.owner, repo: d.repo, check_run_id: d.checkRunId, ...body },
      `${what} check run ${d.checkRunId} on ${d.owner}/${d.repo}`,
      { retry },
    );
  }

  private async findRun(installationId: string, job: CheckJob, name: string): Promise<CheckRunJson | null> {
    const { data } = await this.client.request<{ check_runs: CheckRunJson[] }>(
      installationId,
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
      { owner: job.repo.owner, repo: job.repo.name, ref: job.sha, check_name: name, filter: 'all', app_id: this.o.appId, per_page: 100 },
      `looking for an existing check run of job ${job.jobId}`,
    );
    return data.check_runs.find((r) => r.external_id === job.jobId && (r.app?.id === undefined || r.app?.id === this.o.appId)) ?? null;
  }

  private async withoutExisting(d: HandleData, wanted: GitHubAnnotation[], count: number): Promise<GitHubAnnotation[]> {
    const seen = new Map<string, number>();
    for (let page = 1; page <= Math.ceil(count / 100); page++) {
      const { data } = await this.client.request<GitHubAnnotation[]>(
        d.installationId,
        'GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations',
        { owner: d.owner, repo: d.repo, check_run_id: d.checkRunId, per_page: 100, page },
        `reading annotations of check run ${d.checkRunId}`,
      );
      for (const a of data) seen.set(annotationKey(a), (seen.get(annotationKey(a)) ?? 0) + 1);
      if (data.length < 100) break;
    }
    return wanted.filter((a) => {
      const k = annotationKey(a);
      const n = seen.get(k) ?? 0;
      if (n === 0) return true;
      seen.set(k, n - 1);
      return false;
    });
  }

  private handle(data: HandleData): CheckHandle {
    return { forge: this.id, id: String(data.checkRunId), data: { ...data } };
  }

  private dataOf(handle: CheckHandle): HandleData {
    const d = handle?.data as Partial<HandleData> | undefined;
    if (!handle || handle.forge !== this.id || !d || typeof d.checkRunId !== 'number' || !d.installationId || !d.owner || !d.repo) {
      throw new HeliosError('E_FORGE_REJECTED', `GitHub forge ${this.id}: check handle ${JSON.stringify(handle?.id)} was not made by this forge`, { retryable: false });
    }
    return { approval: false, jobId: '', ...d } as HandleData;
  }

  /** The installation a repository is reached through: from the event, else asked of GitHub once. */
  private async installationOf(repo: RepoRef): Promise<string> {
    if (repo.installationId) return repo.installationId;
    const key = `${repo.owner}/${repo.name}`.toLowerCase();
    const known = this.installations.get(key);
    if (known) return known;
    try {
      const { data } = await this.client.appRequest<{ id: number }>('GET /repos/{owner}/{repo}/installation', { owner: repo.owner, repo: repo.name }, `finding the App installation of ${key}`);
      this.installations.set(key, String(data.id));
      return String(data.id);
    } catch (err) {
      if (notFound(err)) {
        throw new HeliosError('E_FORGE_REJECTED', `GitHub forge ${this.id}: the App is not installed on ${key}; install it from the App's settings page`, { retryable: false });
      }
      throw err;
    }
  }
}

function notFound(err: unknown): boolean {
  return isHeliosError(err) && err.upstreamStatus === 404;
}

/** GitHub's role name (`role_name`), else the legacy `permission` field, as Helios's permission (sdk mapping). */
export function toPermission(roleName: string | undefined, permission: string | undefined): Permission {
  return permissionFromRole(roleName ?? permission);
}
