// The directory holding the .proto files (the include root for proto-loader), and the agent
// protocol's entry file and version.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const protoDir = dirname(fileURLToPath(import.meta.url));
export const agentProtoFile = join(protoDir, 'helios/agent/v1/agent.proto');
/** Bump together with the proto package name on an incompatible change. */
export const PROTOCOL_VERSION = 1;
