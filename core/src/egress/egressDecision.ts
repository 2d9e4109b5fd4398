/**
 * Whether a job may reach `host:port`: first by name against its policy, then — once resolved — every
 * answer against the special address ranges. A refusal's text names the rule and where to change it.
 */
import { isIP } from 'node:net';
import { inList, specialRangeOf } from './addressRanges.js';
import { matchAllow } from './egressPolicy.js';
import type { EgressGrant } from './egressGrants.js';

export type Decision = { ok: true; explicitAddress: boolean } | { ok: false; reason: string };

const WHERE = 'allow it in helios.yaml under';

export function decideByName(grant: EgressGrant, host: string, port: number): Decision {
  const h = host.toLowerCase();
  if (grant.implicit.some((o) => o.host.toLowerCase() === h && o.port === port)) return { ok: true, explicitAddress: true };
  const p = grant.policy;
  if (p.kind === 'none') {
    const why = p.source.startsWith('untrusted') ? p.source : `egress is none for ${p.repo} (${p.source})`;
    return { ok: false, reason: `${why}; ${p.source.startsWith('untrusted') ? 'fork pull requests never get egress' : `${WHERE} ${p.source}`}` };
  }
  if (p.kind === 'any') return { ok: true, explicitAddress: false };
  const entry = matchAllow(p.allow, h, port);
  if (!entry) return { ok: false, reason: `${host}:${port} is not in the allow list for ${p.repo} (${p.source}); ${WHERE} ${p.source}.allow` };
  return { ok: true, explicitAddress: entry.literal };
}

/** Every answer must be public, in the policy's allowPrivate, or the very address the rule named. */
export function decideAddresses(grant: EgressGrant, host: string, addresses: readonly string[], explicitAddress: boolean): Decision {
  // The request named the address itself and an allow entry names it too (or it is the clone origin).
  if (explicitAddress) return { ok: true, explicitAddress };
  for (const address of addresses) {
    const range = specialRangeOf(address);
    if (range === null || inList(grant.policy.allowPrivate, address)) continue;
    const key = grant.policy.kind === 'allow' ? `${grant.policy.source}.allowPrivate` : 'egress.repositories."<owner/repo>".allowPrivate (a policy with an allow list)';
    if (isIP(host) !== 0) return { ok: false, reason: `${host} is in ${range}, which jobs may reach only when an allow entry names the address; ${WHERE} ${grant.policy.kind === 'allow' ? `${grant.policy.source}.allow` : 'egress.repositories."<owner/repo>".allow'} if it is meant` };
    return { ok: false, reason: `${host} resolves to ${address}, in ${range}, which jobs may not reach through a name; ${WHERE} ${key} if it is meant` };
  }
  return { ok: true, explicitAddress };
}
