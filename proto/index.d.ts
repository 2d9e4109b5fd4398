/** The directory holding the .proto files (the include root for proto-loader). */
export declare const protoDir: string;
/** Absolute path of helios/agent/v1/agent.proto. */
export declare const agentProtoFile: string;
/** The agent protocol version spoken by this package's .proto files. */
export declare const PROTOCOL_VERSION: 1;

// The agent protocol messages, generated from the .proto by scripts/generate-types.mjs (types only).
// `X` is what a sender may pass; `X__Output` is what proto-loader hands a receiver with the options
// core and agent use (camelCase, longs as numbers, enums as names, defaults, oneof names in `body`).
export type { Ack, Ack__Output } from './generated/helios/agent/v1/Ack.js';
export type { ActionQuery, ActionQuery__Output } from './generated/helios/agent/v1/ActionQuery.js';
export type { AgentMessage, AgentMessage__Output } from './generated/helios/agent/v1/AgentMessage.js';
export type { Annotation, Annotation__Output } from './generated/helios/agent/v1/Annotation.js';
export type { ArtifactEntry, ArtifactEntry__Output } from './generated/helios/agent/v1/ArtifactEntry.js';
export type { ArtifactList, ArtifactList__Output } from './generated/helios/agent/v1/ArtifactList.js';
export type { ArtifactQuery, ArtifactQuery__Output } from './generated/helios/agent/v1/ArtifactQuery.js';
export type { CacheQuery, CacheQuery__Output } from './generated/helios/agent/v1/CacheQuery.js';
export type { Cancel, Cancel__Output } from './generated/helios/agent/v1/Cancel.js';
export type { DownloadChunk, DownloadChunk__Output } from './generated/helios/agent/v1/DownloadChunk.js';
export type { DownloadHeader, DownloadHeader__Output } from './generated/helios/agent/v1/DownloadHeader.js';
export type { Finished, Finished__Output } from './generated/helios/agent/v1/Finished.js';
export type { Heartbeat, Heartbeat__Output } from './generated/helios/agent/v1/Heartbeat.js';
export type { Hello, Hello__Output } from './generated/helios/agent/v1/Hello.js';
export type { Log, Log__Output } from './generated/helios/agent/v1/Log.js';
export type { ServerMessage, ServerMessage__Output } from './generated/helios/agent/v1/ServerMessage.js';
export type { StepFinished, StepFinished__Output } from './generated/helios/agent/v1/StepFinished.js';
export type { StepStarted, StepStarted__Output } from './generated/helios/agent/v1/StepStarted.js';
export type { Stream, Stream__Output } from './generated/helios/agent/v1/Stream.js';
export type { UploadChunk, UploadChunk__Output } from './generated/helios/agent/v1/UploadChunk.js';
export type { UploadHeader, UploadHeader__Output } from './generated/helios/agent/v1/UploadHeader.js';
export type { UploadResult, UploadResult__Output } from './generated/helios/agent/v1/UploadResult.js';
export type { Welcome, Welcome__Output } from './generated/helios/agent/v1/Welcome.js';
export type { AgentDefinition } from './generated/helios/agent/v1/Agent.js';
