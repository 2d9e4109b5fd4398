/**
 * The `egress:` section of helios.yaml: which outbound connections a job's steps may make through
 * the egress proxy, per repository and per runs-on label, and the checks the schema cannot express.
 */
import { Type, type Static } from '@sinclair/typebox';
import { isIP } from 'node:net';
import type { ConfigProblem } from '../kernel/config/problems.js';
import type { PositionOf } from '../kernel/config/validate.js';
import { parseCidr } from './addressRanges.js';

/** `crates.io`, `*.npmjs.org:443`, `10.0.0.5:8080`, `[fd00::1]:80`, `host:*`. */
export const ALLOW_ENTRY = /^(?:(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::(?:\d{1,5}|\*))?$/;

/**
 * `none`, `any`, or `{ allow: [...], allowPrivate: [...] }`. Checked by egressConfigProblems rather
 * than a schema union, whose only message would be "does not match any allowed form".
 */
export type EgressPolicy = 'none' | 'any' | { allow?: string[]; allowPrivate?: string[] };

const EgressPolicySchema = Type.Unsafe<EgressPolicy>(Type.Unknown());

export const EgressConfigSchema = Type.Object(
  {
    /** Trusted runs with no repository or label entry. */
    default: Type.Optional(EgressPolicySchema),
    /** By repository `owner/name`; wins over a label entry. */
    repositories: Type.Record(Type.String({ pattern: '^[^\\s/]+/[^\\s/]+$' }), EgressPolicySchema, { default: {} }),
    /** By runs-on label (the one the job's machine is made for). */
    labels: Type.Record(Type.String({ minLength: 1 }), EgressPolicySchema, { default: {} }),
    /** Fixed answers (name → IP address) the proxy uses instead of DNS; the address checks still apply. */
    hosts: Type.Record(Type.String({ pattern: '^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$' }), Type.String({ minLength: 1 }), { default: {} }),
  },
  { additionalProperties: false, default: {} },
);

export type EgressConfig = Static<typeof EgressConfigSchema>;

const POLICY_FORMS = 'none, any, or { allow: [host[:port], ...], allowPrivate: [CIDR, ...] }';

/** What the schema leaves open: ports in range, CIDRs and addresses that parse. */
export function egressConfigProblems(egress: EgressConfig, positionOf: PositionOf): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (path: (string | number)[], message: string) => problems.push({ path: ['egress', ...path].join('.'), message, ...positionOf(['egress', ...path]) });
  const policy = (p: unknown, path: string[]) => {
    if (p === undefined || p === 'none' || p === 'any') return;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return at(path, `expected ${POLICY_FORMS}, got ${JSON.stringify(p)?.slice(0, 60)}`);
    for (const key of Object.keys(p)) if (key !== 'allow' && key !== 'allowPrivate') at([...path, key], 'unknown key; remove it or use one of: allow, allowPrivate');
    const { allow, allowPrivate } = p as { allow?: unknown; allowPrivate?: unknown };
    if (allow !== undefined && !Array.isArray(allow)) at([...path, 'allow'], 'expected a list of hosts (host, *.domain or an IP address, with an optional :port or :*)');
    if (Array.isArray(allow)) {
      allow.forEach((entry: unknown, i) => {
        if (typeof entry !== 'string' || !ALLOW_ENTRY.test(entry)) return at([...path, 'allow', i], `${JSON.stringify(entry)} is not a host; write crates.io, *.npmjs.org:443, 10.1.2.3:8080 or host:* (any port)`);
        const port = /:(\d+)$/.exec(entry)?.[1];
        if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) at([...path, 'allow', i], `port ${port} is not 1 to 65535; write host:port, or host:* for every port`);
      });
    }
    if (allowPrivate !== undefined && !Array.isArray(allowPrivate)) at([...path, 'allowPrivate'], 'expected a list of address ranges (CIDR)');
    if (Array.isArray(allowPrivate)) {
      allowPrivate.forEach((cidr: unknown, i) => {
        if (typeof cidr !== 'string' || !parseCidr(cidr)) at([...path, 'allowPrivate', i], `${JSON.stringify(cidr)} is not an address range; write a CIDR such as 10.1.2.0/24 or 127.0.0.1/32`);
      });
    }
  };
  policy(egress.default, ['default']);
  for (const [repo, p] of Object.entries(egress.repositories)) policy(p, ['repositories', repo]);
  for (const [label, p] of Object.entries(egress.labels)) policy(p, ['labels', label]);
  for (const [name, ip] of Object.entries(egress.hosts)) {
    if (isIP(ip) === 0) at(['hosts', name], `${JSON.stringify(ip)} is not an IP address; give the address the proxy should use for ${name}`);
  }
  return problems;
}
