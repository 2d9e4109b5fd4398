import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { agentProtoFile, PROTOCOL_VERSION } from '@helios-ci/proto';
import { grpcServiceDefinition } from '@helios-ci/proto/service-definition';
import { encodeLogMessage } from './session/logWire.js';
import type { WireBuffers } from './session/wireBuffers.js';

export { PROTOCOL_VERSION };

/**
 * Set by agent/scripts/bundle.mjs to the protobufjs JSON of agent.proto: the single-file bundle has
 * no .proto files beside it. Unbundled (tests, development) the agent reads @helios-ci/proto.
 */
declare const __HELIOS_AGENT_PROTO_JSON__: string | undefined;

/** Received messages as core sees them: camelCase, longs as numbers, enum names, defaults, oneof name. */
const TO_OBJECT = { longs: Number, enums: String, defaults: true, oneofs: true };

/**
 * The Agent client, its definition built straight from protobufjs (no proto-loader: its descriptor
 * encoding for gRPC reflection was a tenth of the agent's start-up).
 */
export function loadAgentClient(buffers?: WireBuffers): grpc.ServiceClientConstructor {
  const root =
    typeof __HELIOS_AGENT_PROTO_JSON__ === 'string'
      ? protobuf.Root.fromJSON(JSON.parse(__HELIOS_AGENT_PROTO_JSON__) as protobuf.INamespace)
      : new protobuf.Root().loadSync(agentProtoFile, { keepCase: false });
  root.resolveAll();
  const service = grpcServiceDefinition(root.lookupService('helios.agent.v1.Agent'), TO_OBJECT) as unknown as grpc.ServiceDefinition;
  // Log batches take the hand-written encoder (session/logWire.ts), into `buffers` when given (the
  // connection returns them from its write callbacks); everything else protobufjs.
  const session = service.Session!;
  const serialize = session.requestSerialize;
  return grpc.makeClientConstructor(
    { ...service, Session: { ...session, requestSerialize: (msg: Parameters<typeof serialize>[0]) => encodeLogMessage(msg, buffers) ?? serialize(msg) } },
    'Agent',
  );
}
