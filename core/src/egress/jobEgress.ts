/**
 * One job attempt's egress: its policy (egressPolicy.ts), its proxy credential (derived from the
 * attempt's agent token hash, so a re-adopted job keeps it), and where its connections are written
 * (the job log's `egress` stream, the `egress.connection` event for metrics) — whether control's
 * proxy saw them or a worker's (MachineSpec.egress.grant / report).
 */
import type { EgressGrantSpec, EventBus } from '@helios-ci/sdk';
import type { RunRecord } from '../store/index.js';
import type { EgressConfig } from './egressConfig.js';
import { egressSecretFor, type EgressConnection } from './egressGrants.js';
import { egressLine } from './egressLine.js';
import { compile, policyChoiceFor } from './egressPolicy.js';
import type { EgressService } from './egressService.js';

export interface JobEgressInput {
  service: EgressService;
  config: EgressConfig;
  run: RunRecord;
  jobId: string;
  label: string;
  /** The clone URL the agent fetches from: always reachable (the server chose it), private or not. */
  cloneUrl: string;
  /** jobTokenHash of the attempt's agent token: the credential is derived from it (egressSecretFor). */
  tokenHash: string;
  sink: { egress(text: string): void };
  events: EventBus;
}

export interface JobEgress {
  proxy: string;
  credential: string;
  /** The grant for a worker's own proxy (MachineSpec.egress.grant). */
  grant: EgressGrantSpec;
  /** Writes one connection a proxy saw (MachineSpec.egress.report). */
  report(connection: EgressConnection): void;
  revoke(): void;
}

export function openJobEgress(i: JobEgressInput): JobEgress {
  const repo = `${i.run.repo.owner}/${i.run.repo.name}`;
  const choice = policyChoiceFor(i.config, { repo, label: i.label, trusted: i.run.trusted });
  const implicit = cloneOrigin(i.cloneUrl);
  const report = (c: EgressConnection) => {
    i.sink.egress(egressLine(c));
    i.events.emit('egress.connection', { jobId: c.jobId, allowed: c.allowed, bytes: c.bytes, ms: c.ms });
  };
  const minted = i.service.grant({ jobId: i.jobId, policy: compile(choice.value, choice.source, choice.repo), implicit, report }, egressSecretFor(i.tokenHash));
  return {
    proxy: i.service.endpoint,
    credential: minted.credential,
    grant: { jobId: i.jobId, user: minted.user, secretSha256: minted.secretSha256, policy: choice.value, source: choice.source, repo: choice.repo, implicit },
    // A worker's report names the job it was granted for; anything else is not this job's.
    report: (c) => {
      if (c.jobId === i.jobId) report(c);
    },
    revoke: minted.revoke,
  };
}

function cloneOrigin(url: string): { host: string; port: number }[] {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return [];
    return [{ host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 }];
  } catch {
    return [];
  }
}
