/**
 * One job attempt's egress: its policy (egressPolicy.ts), a fresh proxy credential, and where its
 * connections are written (the job log's `egress` stream, the `egress.connection` event for metrics).
 */
import type { EventBus } from '@helios-ci/sdk';
import type { RunRecord } from '../store/index.js';
import type { EgressConfig } from './egressConfig.js';
import { egressLine } from './egressLine.js';
import { policyFor } from './egressPolicy.js';
import type { EgressService } from './egressService.js';

export interface JobEgressInput {
  service: EgressService;
  config: EgressConfig;
  run: RunRecord;
  jobId: string;
  label: string;
  /** The clone URL the agent fetches from: always reachable (the server chose it), private or not. */
  cloneUrl: string;
  sink: { egress(text: string): void };
  events: EventBus;
}

export interface JobEgress {
  proxy: string;
  credential: string;
  revoke(): void;
}

export function openJobEgress(i: JobEgressInput): JobEgress {
  const repo = `${i.run.repo.owner}/${i.run.repo.name}`;
  const policy = policyFor(i.config, { repo, label: i.label, trusted: i.run.trusted });
  const minted = i.service.grant({
    jobId: i.jobId,
    policy,
    implicit: cloneOrigin(i.cloneUrl),
    report: (c) => {
      i.sink.egress(egressLine(c));
      i.events.emit('egress.connection', { jobId: c.jobId, allowed: c.allowed, bytes: c.bytes, ms: c.ms });
    },
  });
  return { proxy: i.service.endpoint, credential: minted.credential, revoke: minted.revoke };
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
