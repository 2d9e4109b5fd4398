/** The directory holding the .proto files (the include root for proto-loader). */
export declare const protoDir: string;
/** Absolute path of helios/agent/v1/agent.proto. */
export declare const agentProtoFile: string;
/** The agent protocol version spoken by this package's .proto files. */
export declare const PROTOCOL_VERSION: 1;
