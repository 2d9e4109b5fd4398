import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { agentProtoFile, protoDir, PROTOCOL_VERSION } from '@helios-ci/proto';
import { encodeLogMessage } from './session/logWire.js';

export { PROTOCOL_VERSION };

/**
 * Set by agent/scripts/bundle.mjs to the protobufjs JSON of agent.proto: the single-file bundle has
 * no .proto files beside it. Unbundled (tests, development) the agent reads @helios-ci/proto.
 */
declare const __HELIOS_AGENT_PROTO_JSON__: string | undefined;

const OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

type AgentPackage = { helios: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } };

export function loadAgentClient(): grpc.ServiceClientConstructor {
  const def =
    typeof __HELIOS_AGENT_PROTO_JSON__ === 'string'
      ? protoLoader.fromJSON(JSON.parse(__HELIOS_AGENT_PROTO_JSON__) as Parameters<typeof protoLoader.fromJSON>[0], OPTIONS)
      : protoLoader.loadSync(agentProtoFile, { ...OPTIONS, includeDirs: [protoDir] });
  const Agent = (grpc.loadPackageDefinition(def) as unknown as AgentPackage).helios.agent.v1.Agent;
  // Log batches take the hand-written encoder (session/logWire.ts); everything else protobufjs.
  const session = Agent.service.Session!;
  const serialize = session.requestSerialize;
  return grpc.makeClientConstructor(
    { ...Agent.service, Session: { ...session, requestSerialize: (msg: Parameters<typeof serialize>[0]) => encodeLogMessage(msg) ?? serialize(msg) } },
    'Agent',
  );
}
