/** The messages control and workers exchange on NATS (JSON). The job itself travels on the stream. */
import type { EgressConnectionReport, EgressGrantSpec } from '@helios-ci/sdk';

/** What a worker needs to provision a claimed job (MachineSpec without volumes). */
export interface ClaimedSpec {
  /** MachineSpec.sourceDir (a file:// clone's directory): usable where the worker shares control's filesystem. */
  sourceDir?: string;
  label: string;
  cpus: number;
  memoryMb: number;
  agent: { endpoint: string; token: string };
  /**
   * The job's egress: control's proxy, and the grant a worker's own proxy enforces instead (the worker
   * then advertises its proxy to the machine and reports connections back as `egress` events).
   */
  egress?: { proxy: string; grant?: EgressGrantSpec };
  /** Control's actions runtime services (MachineSpec.actionsRuntime): the job's token is control's. */
  actionsRuntime?: { endpoint: string };
  /** MachineSpec.trusted: absent (an older control) counts as untrusted on the worker. */
  trusted?: boolean;
}

export interface ClaimRequest {
  jobId: string;
  attempt: number;
  worker: string;
}

export type ClaimReply = { ok: true; spec: ClaimedSpec } | { ok: false; reason: string };

export interface StatusRequest {
  jobId: string;
  attempt: number;
  worker: string;
  /** The machine, repeated on every poll: core NATS events are not persisted, a NATS outage may have lost `provisioned`. */
  machineId?: string;
  label?: string;
}

export interface StatusReply {
  /** False: control no longer runs this attempt (ended, restarted, given to someone else): tear down. */
  wanted: boolean;
}

export interface DestroyRequest {
  jobId: string;
  attempt: number;
  machineId: string;
}

export interface DestroyReply {
  ok: boolean;
  error?: string;
}

export type MachineEvent =
  | { type: 'provisioned'; jobId: string; attempt: number; worker: string; machineId: string; label: string }
  | { type: 'provision_failed'; jobId: string; attempt: number; worker: string; error: string }
  | { type: 'milestone'; jobId: string; attempt: number; worker: string; milestone: 'booted' | 'console' }
  | { type: 'console'; jobId: string; attempt: number; worker: string; lines: string[] }
  | { type: 'destroyed'; jobId: string; attempt: number; worker: string; machineId: string }
  /** One connection through the worker's egress proxy (core NATS: lost while control is down). */
  | { type: 'egress'; jobId: string; attempt: number; worker: string; connection: EgressConnectionReport };

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encode(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

export function decode<T>(data: Uint8Array): T {
  return JSON.parse(dec.decode(data)) as T;
}
