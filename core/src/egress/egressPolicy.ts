/**
 * Which policy applies to a job, and what it says about one destination. Untrusted runs (fork pull
 * requests) get `none` whatever the config says; otherwise the repository's entry, else the label's,
 * else `egress.default` (itself `any` when unset, so existing workflows that download keep working;
 * private, loopback and link-local answers are refused under `any` as well).
 */
import { isIP } from 'node:net';
import type { BlockList } from 'node:net';
import { blockListOf } from './addressRanges.js';
import type { EgressConfig, EgressPolicy } from './egressConfig.js';

export interface JobEgressPolicy {
  kind: 'none' | 'any' | 'allow';
  allow: readonly AllowEntry[];
  allowPrivate: BlockList;
  /** Where it came from, as a config key (`egress.repositories."o/r"`), or why (untrusted run). */
  source: string;
  /** owner/name of the job's repository, for messages. */
  repo: string;
}

export interface AllowEntry {
  /** Lower case; `*.example.org` matches below example.org (not example.org itself). */
  host: string;
  /** null: any port. */
  ports: readonly number[] | null;
  /** An IP address entry: that address is allowed even when private (it was named explicitly). */
  literal: boolean;
}

export interface PolicyInput {
  repo: string;
  label: string;
  trusted: boolean;
}

export const DEFAULT_EGRESS: EgressPolicy = 'any';

/** The policy value that applies and the key it came from, uncompiled (it travels to workers so). */
export function policyChoiceFor(config: EgressConfig, job: PolicyInput): { value: EgressPolicy; source: string; repo: string } {
  if (!job.trusted) return { value: 'none', source: 'untrusted run (fork pull request): egress is always none', repo: job.repo };
  const byRepo = config.repositories[job.repo];
  if (byRepo !== undefined) return { value: byRepo, source: `egress.repositories."${job.repo}"`, repo: job.repo };
  const byLabel = config.labels[job.label];
  if (byLabel !== undefined) return { value: byLabel, source: `egress.labels.${job.label}`, repo: job.repo };
  return { value: config.default ?? DEFAULT_EGRESS, source: 'egress.default', repo: job.repo };
}

export function policyFor(config: EgressConfig, job: PolicyInput): JobEgressPolicy {
  const c = policyChoiceFor(config, job);
  return compile(c.value, c.source, c.repo);
}

export function compile(policy: EgressPolicy, source: string, repo: string): JobEgressPolicy {
  if (typeof policy === 'string') return { kind: policy, allow: [], allowPrivate: blockListOf([]), source, repo };
  return { kind: 'allow', allow: (policy.allow ?? []).map(parseAllowEntry), allowPrivate: blockListOf(policy.allowPrivate ?? []), source, repo };
}

export function parseAllowEntry(entry: string): AllowEntry {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+|\*))?$/.exec(entry);
  const rawHost = m?.[1] ?? entry;
  const host = rawHost.replace(/^\[|\]$/g, '').toLowerCase();
  const port = m?.[2];
  return { host, ports: port === '*' ? null : port !== undefined ? [Number(port)] : [80, 443], literal: isIP(host) !== 0 };
}

/** The allow entry covering `host:port`, or null. */
export function matchAllow(entries: readonly AllowEntry[], host: string, port: number): AllowEntry | null {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const e of entries) {
    const hostOk = e.host.startsWith('*.') ? h.endsWith(e.host.slice(1)) && h.length > e.host.length - 1 : h === e.host;
    if (hostOk && (e.ports === null || e.ports.includes(port))) return e;
  }
  return null;
}
