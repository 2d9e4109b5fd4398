import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { agentProtoFile, protoDir, PROTOCOL_VERSION } from '@helios-ci/proto';

export { PROTOCOL_VERSION };

/** proto-loader options shared with the agent: camelCase fields, numbers for 64-bit ints, enum names. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
};

let cached: grpc.ServiceDefinition | null = null;

/** The `helios.agent.v1.Agent` service definition, loaded once from @helios-ci/proto. */
export function agentServiceDefinition(): grpc.ServiceDefinition {
  if (cached) return cached;
  const def = protoLoader.loadSync(agentProtoFile, PROTO_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as { helios: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } };
  cached = pkg.helios.agent.v1.Agent.service;
  return cached;
}

/** A client constructor (tests and tools; the agent has its own bundled copy). */
export function agentClientConstructor(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync(agentProtoFile, PROTO_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as { helios: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } };
  return pkg.helios.agent.v1.Agent;
}
