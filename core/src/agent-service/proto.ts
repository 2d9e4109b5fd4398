import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { agentProtoFile, protoDir, PROTOCOL_VERSION } from '@helios-ci/proto';
import { grpcServiceDefinition } from '@helios-ci/proto/service-definition';

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

/** How received messages become objects: PROTO_LOADER_OPTIONS' conversion part. */
const TO_OBJECT = { longs: Number, enums: String, defaults: true, oneofs: true };

/**
 * Set by core/scripts/bundle.mjs in the CLI bundle to the protobufjs JSON of agent.proto, so a
 * `helios` start does not parse the .proto text. Unbundled (tests, library use) the .proto is read.
 */
declare const __HELIOS_AGENT_PROTO_JSON__: string | undefined;

let cached: grpc.ServiceDefinition | null = null;

/** The `helios.agent.v1.Agent` service definition, built once from @helios-ci/proto. */
export function agentServiceDefinition(): grpc.ServiceDefinition {
  if (cached) return cached;
  const root =
    typeof __HELIOS_AGENT_PROTO_JSON__ === 'string'
      ? protobuf.Root.fromJSON(JSON.parse(__HELIOS_AGENT_PROTO_JSON__) as protobuf.INamespace)
      : new protobuf.Root().loadSync(agentProtoFile, { keepCase: false });
  root.resolveAll();
  cached = grpcServiceDefinition(root.lookupService('helios.agent.v1.Agent'), TO_OBJECT) as unknown as grpc.ServiceDefinition;
  return cached;
}

/** A client constructor (tests and tools; the agent has its own bundled copy). */
export function agentClientConstructor(): grpc.ServiceClientConstructor {
  return grpc.makeClientConstructor(agentServiceDefinition(), 'Agent');
}
