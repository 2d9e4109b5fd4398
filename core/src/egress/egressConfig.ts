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

export const EgressPolicySchema = Type.Union([
  Type.Literal('none'),
  Type.Literal('any'),
  Type.Object(
    {
      /** Hosts (`name`, `*.domain`, an IP address) with an optional `:port` (`:*` any; default 80 and 443). */
      allow: Type.Array(Type.String({ pattern: ALLOW_ENTRY.source }), { default: [] }),
      /** Private, loopback or link-local ranges (CIDR) a name may resolve to; refused otherwise. */
      allowPrivate: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    },
    { additionalProperties: false },
  ),
]);

export type EgressPolicy = Static<typeof EgressPolicySchema>;

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

/** What the schema leaves open: ports in range, CIDRs and addresses that parse. */
export function egressConfigProblems(egress: EgressConfig, positionOf: PositionOf): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (path: (string | number)[], message: string) => problems.push({ path: ['egress', ...path].join('.'), message, ...positionOf(['egress', ...path]) });
  const policy = (p: EgressPolicy | undefined, path: string[]) => {
    if (p === undefined || typeof p === 'string') return;
    p.allow.forEach((entry, i) => {
      const port = /:(\d+)$/.exec(entry)?.[1];
      if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) at([...path, 'allow', i], `port ${port} is not 1 to 65535; write host:port, or host:* for every port`);
    });
    p.allowPrivate.forEach((cidr, i) => {
      if (!parseCidr(cidr)) at([...path, 'allowPrivate', i], `${JSON.stringify(cidr)} is not an address range; write a CIDR such as 10.1.2.0/24 or 127.0.0.1/32`);
    });
  };
  policy(egress.default, ['default']);
  for (const [repo, p] of Object.entries(egress.repositories)) policy(p, ['repositories', repo]);
  for (const [label, p] of Object.entries(egress.labels)) policy(p, ['labels', label]);
  for (const [name, ip] of Object.entries(egress.hosts)) {
    if (isIP(ip) === 0) at(['hosts', name], `${JSON.stringify(ip)} is not an IP address; give the address the proxy should use for ${name}`);
  }
  return problems;
}
