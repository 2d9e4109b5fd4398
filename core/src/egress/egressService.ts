/**
 * The egress proxy as a core service: started by `helios serve`, `helios run` and `helios worker`
 * on server.egressListen, advertised to machines as server.egressEndpoint (MachineSpec.egress.proxy),
 * with one grant per running job.
 */
import { HeliosError, type EgressGrantSpec, type WorkerEgress } from '@helios-ci/sdk';
import type { JobEgressPolicy } from './egressPolicy.js';
import { EgressGrants, type EgressConnection, type MintedGrant } from './egressGrants.js';
import { EgressProxy, type Resolver } from './egressProxy.js';

export interface EgressServiceOptions {
  host: string;
  port: number;
  /** host:port machines dial (default: the bound address, 0.0.0.0 read as 127.0.0.1). */
  advertise?: string;
  hosts?: Readonly<Record<string, string>>;
  resolve?: Resolver;
  onWarning?: (message: string, fields: Record<string, unknown>) => void;
}

export class EgressService implements WorkerEgress {
  readonly grants = new EgressGrants();
  private readonly proxy: EgressProxy;
  private bound: string | null = null;

  constructor(private readonly o: EgressServiceOptions) {
    this.proxy = new EgressProxy({ grants: this.grants, ...(o.hosts ? { hosts: o.hosts } : {}), ...(o.resolve ? { resolve: o.resolve } : {}), ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
  }

  async start(): Promise<void> {
    const a = await this.proxy.listen(this.o.host, this.o.port);
    const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.bound = `${host}:${a.port}`;
  }

  /** What machines are told (MachineSpec.egress.proxy); throws before start. */
  get endpoint(): string {
    if (this.bound === null) throw new HeliosError('E_INTERNAL', 'the egress proxy endpoint was asked for before the proxy started; core services start it before the orchestrator');
    return this.o.advertise ?? this.bound;
  }

  /** A grant minted here (control); `secret` defaults to a random one (egressSecretFor derives the adoptable kind). */
  grant(input: { jobId: string; policy: JobEgressPolicy; implicit: { host: string; port: number }[]; report: (c: EgressConnection) => void }, secret?: string): MintedGrant {
    return this.grants.mint(input, secret);
  }

  /** WorkerEgress.admit: control's grant for a job this worker runs. */
  admit(grant: EgressGrantSpec, report: (c: EgressConnection) => void): () => void {
    return this.grants.install(grant, report);
  }

  stop(): Promise<void> {
    return this.proxy.close();
  }
}
