/** What the agent service keeps per registered job, and the live gRPC session attached to it. */
import type * as grpc from '@grpc/grpc-js';
import type { AgentMessage__Output, ServerMessage } from '@helios-ci/proto';
import type { JobSpec, SecretMasker } from '@helios-ci/sdk';
import type { JobConclusion, JobSink } from './types.js';

export type SessionCall = grpc.ServerDuplexStream<AgentMessage__Output, ServerMessage>;

export interface Session {
  call: SessionCall;
  closed: boolean;
}

export interface JobState {
  jobId: string;
  tokenHash: string;
  spec: JobSpec;
  /** Sent in each Welcome (a resumed agent needs it again); '' when no egress proxy runs. */
  egressCredential: string;
  sink: JobSink;
  redactor: SecretMasker;
  expiresAt: number;
  registeredAt: number;
  session: Session | null;
  everConnected: boolean;
  /** Highest seq delivered to the sink. */
  lastSeq: number;
  lastActivity: number;
  sinkBusy: boolean;
  ended: boolean;
  cancelReason: string | null;
  lastDisconnect: string | null;
  resolve: (c: JobConclusion) => void;
}
