import {
  HeliosError,
  type Annotation,
  type CheckHandle,
  type CheckJob,
  type CheckResult,
  type CheckUpdate,
  type CloneAccessOptions,
  type Forge,
  type ForgeAdmin,
  type ForgeCapabilities,
  type ForgeEvent,
  type HttpRequest,
  type InstalledHook,
  type Logger,
  type Permission,
  type RepoRef,
  type WorkflowFile,
  ownerAllowed,
  permissionFromRole,
} from '@helios-ci/sdk';
import { ForgejoClient, seg } from './client.js';
import type { ForgejoConfig } from './config.js';
import { readFile, readWorkflows } from './contents.js';
import { parseDelivery } from './events.js';
import { installHook } from './installHook.js';
import { forgejoHeader, verifySignature } from './signature.js';
import { contextFor, describe, finalStatus, WAITING_FOR_APPROVAL, type StatusBody } from './statuses.js';

export interface ForgejoForgeOptions {
  /** The plugin instance name: the webhook route is /hooks/<id>. */
  id: string;
  config: ForgejoConfig;
  logger: Logger;
  fetch?: typeof fetch;
}

/** What a check handle keeps (persisted by the kernel): a status is keyed by (repo, sha, context). */
interface StatusTarget {
  owner: string;
  repo: string;
  sha: string;
  context: string;
  targetUrl: string;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * A Forgejo (or Gitea) instance as a Helios Forge. Forgejo has no check runs: each job's check is
 * one commit status, keyed by its context, whose state and description follow the job.
 */
export class ForgejoForge implements Forge, ForgeAdmin {
  readonly id: string;
  readonly capabilities: ForgeCapabilities;
  private readonly client: ForgejoClient;
  private readonly config: ForgejoConfig;
  private readonly logger: Logger;
  /** Annotations reported through annotate() per check, for callers that do not state `annotationCount`. */
  private readonly annotated = new Map<string, number>();

  constructor(private readonly o: ForgejoForgeOptions) {
    this.id = o.id;
    this.config = o.config;
    this.logger = o.logger;
    this.client = new ForgejoClient({ baseUrl: o.config.baseUrl, token: o.config.token, timeoutMs: o.config.requestTimeoutSeconds * 1000, ...(o.fetch ? { fetch: o.fetch } : {}) });
    this.capabilities = {
      checkRuns: false,
      annotations: false,
      liveLog: false,
      actions: false,
      // Nothing of the summary or log reaches Forgejo (a status has a one-line description); the
      // annotation count comes from the typed `annotationCount` of each update.
      maxLogChars: 16_000,
      requestsPerMinute: o.config.requestsPerMinute,
    };
  }

  async verifyAndParse(req: Pick<HttpRequest, 'headers' | 'rawBody'>): Promise<ForgeEvent | null> {
    verifySignature(req.headers, req.rawBody, this.config.webhookSecret, this.id);
    const deliveryId = forgejoHeader(req.headers, 'Delivery');
    const event = forgejoHeader(req.headers, 'Event');
    if (!deliveryId || !event) {
      throw new HeliosError('E_WEBHOOK_INVALID', 'Forgejo delivery without X-Forgejo-Delivery / X-Forgejo-Event (or X-Gitea-*) headers; is the hook of type "forgejo" or "gitea"?');
    }
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      throw new HeliosError('E_WEBHOOK_INVALID', 'Forgejo delivery body is not JSON; set the hook\'s content type to "application/json"');
    }
    const parsed = parseDelivery({ forge: this.id, deliveryId, event, eventType: forgejoHeader(req.headers, 'Event-Type'), body });
    if (!parsed.event) {
      this.logger.debug('webhook ignored', { delivery: deliveryId, event, reason: parsed.ignored });
      return null;
    }
    const owner = 'repo' in parsed.event ? parsed.event.repo.owner : undefined;
    if (owner !== undefined && !ownerAllowed(this.config.allowedOwners, owner)) {
      this.logger.warn('webhook ignored: the repository owner is not in allowedOwners', { delivery: deliveryId, event, owner });
      return null;
    }
    return parsed.event;
  }

  fetchWorkflows(repo: RepoRef, sha: string): Promise<WorkflowFile[]> {
    return readWorkflows(this.client, repo, sha);
  }

  fetchFile(repo: RepoRef, sha: string, path: string): Promise<string | null> {
    return readFile(this.client, repo, sha, path);
  }

  /** The commit a branch, tag or sha names (`repoGetSingleCommit`): remote actions are pinned to it at plan time. */
  async resolveRef(repo: RepoRef, ref: string): Promise<string | null> {
    const res = await this.client.request<{ sha?: string }>('GET', `/repos/${seg(repo.owner)}/${seg(repo.name)}/git/commits/${seg(ref)}`, { query: { stat: 'false', verification: 'false', files: 'false' }, accept: [404, 422] });
    const sha = res.status === 200 ? res.body?.sha : undefined;
    return typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  }

  /** The repository at `sha` (`repoGetArchive`, `<sha>.tar.gz`): gzip tar under `<name>/`. */
  async fetchArchive(repo: RepoRef, sha: string): Promise<Uint8Array | null> {
    return this.client.download(`/repos/${seg(repo.owner)}/${seg(repo.name)}/archive/${seg(`${sha}.tar.gz`)}`);
  }

  /**
   * The repository's HTTPS clone URL (as Forgejo states it, so a ROOT_URL differing from baseUrl
   * is honoured) and a credential. Forgejo tokens cannot be narrowed per clone, and `token` can
   * write: an untrusted run (approved fork pull request) gets the read-only `cloneToken`, or no
   * token for a public repository (anonymous clone), and otherwise an error, never `token`. Trusted
   * runs use `cloneToken` too when it is set (least privilege); the agent sends it as a header and masks it.
   */
  async cloneAccess(repo: RepoRef, options?: CloneAccessOptions): Promise<{ url: string; token?: string }> {
    const res = await this.client.request<{ clone_url?: string; private?: boolean; internal?: boolean }>('GET', `/repos/${seg(repo.owner)}/${seg(repo.name)}`);
    const url = res.body?.clone_url;
    if (!url) throw new HeliosError('E_FORGE_REJECTED', `Forgejo did not state a clone URL for ${repo.owner}/${repo.name}`, { retryable: false });
    if (this.config.cloneToken) return { url, token: this.config.cloneToken };
    if (options?.trusted === true) return { url, token: this.config.token };
    // Only what Forgejo states as public (not private, not internal) clones without a token.
    if (res.body?.private === false && res.body.internal !== true) return { url };
    throw new HeliosError(
      'E_FORGE_NO_READ_ONLY_CREDENTIAL',
      `${repo.owner}/${repo.name} is not public and this run is untrusted (a fork pull request): the forge token can write, so it is never given to untrusted runs; set cloneToken (a token with read:repository scope only) in the config of forge ${this.id}`,
      { retryable: false, facts: { repo: `${repo.owner}/${repo.name}` } },
    );
  }

  async openCheck(job: CheckJob): Promise<CheckHandle> {
    if (!SHA.test(job.sha)) throw new HeliosError('E_FORGE_REJECTED', `cannot post a status for ${JSON.stringify(job.sha)}: not a commit SHA`, { retryable: false });
    const target: StatusTarget = { owner: job.repo.owner, repo: job.repo.name, sha: job.sha, context: contextFor(this.config.contextTemplate, job), targetUrl: job.detailsUrl };
    await this.post(target, 'pending', job.awaitingApproval ? WAITING_FOR_APPROVAL : 'Queued');
    // The id names the status (a status is keyed by commit and context); it needs no Forgejo id.
    return { forge: this.id, id: `${target.owner}/${target.repo}@${target.sha}#${target.context}`, data: { ...target } };
  }

  async updateCheck(handle: CheckHandle, update: CheckUpdate): Promise<void> {
    await this.post(this.target(handle), 'pending', describe(update.title || (update.status === 'queued' ? 'Queued' : 'Running'), this.annotationCount(handle, update.annotationCount)));
  }

  async annotate(handle: CheckHandle, annotations: Annotation[]): Promise<void> {
    // Forgejo cannot show annotations; they are listed on the job page (target_url). Count them so
    // the final description says how many there are.
    this.target(handle);
    this.annotated.set(handle.id, (this.annotated.get(handle.id) ?? 0) + annotations.length);
  }

  async closeCheck(handle: CheckHandle, result: CheckResult): Promise<void> {
    const target = this.target(handle);
    const { state, description } = finalStatus(result.conclusion, result.title);
    await this.post(target, state, describe(description, this.annotationCount(handle, result.annotationCount)));
  }

  async permissionOf(repo: RepoRef, user: string): Promise<Permission> {
    const res = await this.client.request<{ permission?: string }>('GET', `/repos/${seg(repo.owner)}/${seg(repo.name)}/collaborators/${seg(user)}/permission`, { accept: [403, 404] });
    if (res.status !== 200) return 'none';
    return permissionFromRole(res.body?.permission);
  }

  installHook(input: { repo: string; publicUrl: string }): Promise<InstalledHook> {
    return installHook({
      baseUrl: this.config.baseUrl,
      token: this.config.token,
      repo: input.repo,
      hookUrl: `${input.publicUrl.replace(/\/+$/, '')}/hooks/${this.id}`,
      secret: this.config.webhookSecret,
      timeoutMs: this.config.requestTimeoutSeconds * 1000,
      ...(this.o.fetch ? { fetch: this.o.fetch } : {}),
    });
  }

  /** The kernel's count when it states one (it knows them all); else what annotate() was given. */
  private annotationCount(handle: CheckHandle, stated: number | undefined): number {
    return stated ?? this.annotated.get(handle.id) ?? 0;
  }

  private target(handle: CheckHandle): StatusTarget {
    const d = (handle?.forge === this.id ? handle.data : undefined) as Partial<StatusTarget> | undefined;
    if (!d || typeof d.owner !== 'string' || typeof d.repo !== 'string' || typeof d.sha !== 'string' || typeof d.context !== 'string' || typeof d.targetUrl !== 'string') {
      throw new HeliosError('E_FORGE_REJECTED', `check handle ${JSON.stringify(handle?.id)} was not made by Forgejo forge ${this.id}`, { retryable: false });
    }
    return d as StatusTarget;
  }

  /** One commit status. Statuses are naturally idempotent: the newest per context is what shows. */
  private async post(t: StatusTarget, state: StatusBody['state'], description: string): Promise<void> {
    const body: StatusBody = { state, target_url: t.targetUrl, description: describe(description), context: t.context };
    await this.client.request('POST', `/repos/${seg(t.owner)}/${seg(t.repo)}/statuses/${seg(t.sha)}`, { body });
  }
}
