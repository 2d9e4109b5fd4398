import type { RemoteUses } from '../workflow/remoteAction.js';
import { ALLOW_PATTERN } from './actionsConfig.js';

const SHA = /^[0-9a-f]{40}$/;

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`, 'i');
}

interface Rule {
  text: string;
  name: RegExp;
  /** A two-segment pattern (`owner/name`, `owner/*`) covers every action path in the repositories it names. */
  wholeRepo: boolean;
  ref: RegExp | null;
}

/**
 * helios.yaml `actions.allow` and `actions.requireSha`, applied to every remote action of a plan.
 * Untrusted runs (approved fork pull requests) get the same list: their actions are fetched by the
 * host with the repository's credentials, like a trusted run's.
 */
export class ActionPolicy {
  private readonly rules: Rule[];
  constructor(
    private readonly allow: readonly string[],
    private readonly requireSha: boolean,
  ) {
    this.rules = allow.filter((a) => ALLOW_PATTERN.test(a)).map((text) => {
      const [name, ref] = text.split('@') as [string, string | undefined];
      return { text, name: name === '*' ? /^.*$/ : glob(name), wholeRepo: name === '*' || name.split('/').length === 2, ref: ref ? glob(ref) : null };
    });
  }

  /** Why `uses` is refused (the rule, and where to change it), or null when allowed. */
  refusal(uses: RemoteUses, trusted: boolean): string | null {
    const repo = `${uses.owner}/${uses.name}`;
    const full = uses.path ? `${repo}/${uses.path}` : repo;
    const who = trusted ? '' : ' (this run is an untrusted fork pull request; the same list applies to it)';
    if (this.requireSha && !SHA.test(uses.ref)) {
      return `refused by actions.requireSha: true in helios.yaml${who}: the ref "${uses.ref}" is not a full commit sha; pin it (${full}@<40-hex sha>) or set actions.requireSha: false`;
    }
    const allowed = this.rules.some((r) => (r.name.test(full) || (r.wholeRepo && r.name.test(repo))) && (!r.ref || r.ref.test(uses.ref)));
    if (allowed) return null;
    return `refused by actions.allow in helios.yaml${who}: no entry matches ${full}@${uses.ref} (allow: ${this.allow.length ? this.allow.join(', ') : 'nothing'}); add "${repo}" or "${uses.owner}/*" to actions.allow to allow it`;
  }
}
