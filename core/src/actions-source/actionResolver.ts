import type { Forge, Logger } from '@helios-ci/sdk';
import type { LoadRemoteAction, RemoteActionAnswer, RemoteUses } from '../workflow/remoteAction.js';
import { remoteActionName } from '../workflow/remoteAction.js';
import type { ActionCache } from './actionCache.js';
import { ActionPolicy } from './actionPolicy.js';
import type { ActionSource } from './actionSource.js';
import type { ActionsConfig, ActionSourceConfig } from './actionsConfig.js';
import { DirActionSource } from './dirActionSource.js';
import { ForgeActionSource } from './forgeActionSource.js';

const SHA = /^[0-9a-f]{40}$/;

/** What planning one delivery knows about where it came from. */
export interface RunActionContext {
  /** The run's forge (absent for local runs: `helios run`, the REST API). */
  forge: Forge | null;
  /** Credential context on that forge (GitHub: the planned repository's App installation). */
  installationId?: string;
  trusted: boolean;
}

/**
 * Remote actions for planning: policy first, then each source in order resolves the ref to a
 * commit; the tree at that commit is fetched once per host into the cache (at plan time, so the
 * sha recorded in the plan is what every attempt and re-run gets, whatever the ref does later),
 * and the action.yml is read from it.
 */
export class ActionResolver {
  /** Fetches under way by `repo@sha`: deliveries planned at once share one download. */
  private readonly fetching = new Map<string, Promise<boolean>>();
  constructor(
    private readonly o: {
      policy: ActionPolicy;
      cache: ActionCache;
      sources: readonly ActionSourceConfig[];
      forges: readonly Forge[];
      logger: Logger;
    },
  ) {}

  /** The resolver helios.yaml `actions:` describes (the server's; a command passes the sources it can use). */
  static fromConfig(actions: ActionsConfig, o: { cache: ActionCache; forges: readonly Forge[]; logger: Logger; sources?: readonly ActionSourceConfig[] }): ActionResolver {
    return new ActionResolver({ policy: new ActionPolicy(actions.allow, actions.requireSha), cache: o.cache, sources: o.sources ?? actions.sources, forges: o.forges, logger: o.logger });
  }

  private sourcesFor(run: RunActionContext): ActionSource[] {
    const out: ActionSource[] = [];
    for (const s of this.o.sources) {
      if (s.type === 'run-forge') {
        if (run.forge) out.push(new ForgeActionSource(run.forge, run.installationId));
      } else if (s.type === 'forge') {
        const forge = this.o.forges.find((f) => f.id === s.forge);
        if (forge) out.push(new ForgeActionSource(forge));
      } else {
        out.push(new DirActionSource(s.path));
      }
    }
    return out;
  }

  /** The loader planning calls for each remote action of one delivery. */
  forRun(run: RunActionContext): LoadRemoteAction {
    return (uses) => this.load(uses, run);
  }

  async load(uses: RemoteUses, run: RunActionContext): Promise<RemoteActionAnswer & { notFound?: true }> {
    const refused = this.o.policy.refusal(uses, run.trusted);
    if (refused) return { ok: false, message: refused };
    const repo = `${uses.owner}/${uses.name}`;
    const found = await this.fetch(uses, run);
    if (!found.ok) return found;
    const dir = uses.path;
    for (const name of ['action.yml', 'action.yaml']) {
      const content = await this.o.cache.readFile(repo, found.sha, dir ? `${dir}/${name}` : name);
      if (content !== null) return { ok: true, sha: found.sha, file: `${remoteActionName(uses)}/${name}@${found.sha.slice(0, 12)}`, content };
    }
    return { ok: false, message: `${repo} has no ${dir ? `${dir}/` : ''}action.yml or action.yaml at ${uses.ref} (${found.sha.slice(0, 12)}); check the path and ref` };
  }

  /** Fetches `repo` at `sha` from `source` into the cache, once however many plans ask at the same time; false when the source lacks it. */
  private download(source: ActionSource, uses: RemoteUses, sha: string): Promise<boolean> {
    const repo = `${uses.owner}/${uses.name}`;
    const key = `${source.name}|${repo.toLowerCase()}@${sha}`;
    let pending = this.fetching.get(key);
    if (!pending) {
      pending = (async () => {
        const archive = await source.archive(uses.owner, uses.name, sha);
        if (!archive) return false;
        await this.o.cache.store(repo, sha, archive);
        this.o.logger.info('remote action fetched', { action: repo, ref: uses.ref, sha, source: source.name });
        return true;
      })().finally(() => this.fetching.delete(key));
      this.fetching.set(key, pending);
    }
    return pending;
  }

  /** Resolves and caches `uses`; a source that fails is skipped, and its error thrown when no source answers (the delivery is retried). */
  private async fetch(uses: RemoteUses, run: RunActionContext): Promise<{ ok: true; sha: string } | { ok: false; message: string; notFound?: true }> {
    const repo = `${uses.owner}/${uses.name}`;
    // A pinned sha already on this host needs no source at all.
    if (SHA.test(uses.ref) && (await this.o.cache.has(repo, uses.ref))) return { ok: true, sha: uses.ref };
    const sources = this.sourcesFor(run);
    if (sources.length === 0) {
      const mirror = `/srv/actions/${repo}.git`;
      return {
        ok: false,
        notFound: true,
        message: `no action source can serve it: this run has no forge (a local run: helios run, the REST API) and actions.sources of helios.yaml lists no other source. Add a directory of git mirrors, { type: dir, path: /srv/actions }, holding ${mirror} (git clone --mirror https://github.com/${repo} ${mirror}), or a forge that serves actions, { type: forge, forge: <instance> }`,
      };
    }
    let firstError: unknown = null;
    const tried: string[] = [];
    for (const source of sources) {
      tried.push(source.name);
      try {
        const sha = await source.resolve(uses.owner, uses.name, uses.ref);
        if (!sha) continue;
        if (!(await this.o.cache.has(repo, sha)) && !(await this.download(source, uses, sha))) continue;
        return { ok: true, sha };
      } catch (err) {
        this.o.logger.warn('an action source failed; trying the next one', { action: repo, ref: uses.ref, source: source.name, error: err });
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
    return { ok: false, notFound: true, message: `no action source has ${repo} at ${uses.ref} (tried ${tried.join(', ')}); check the owner, repository and ref, or add the repository to a source listed in actions.sources of helios.yaml` };
  }
}
