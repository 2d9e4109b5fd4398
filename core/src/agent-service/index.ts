export { AgentService } from './agentService.js';
export { grpcStatusOf, toGrpcStatus } from './grpcStatus.js';
export { agentServiceDefinition, agentClientConstructor, PROTO_LOADER_OPTIONS, PROTOCOL_VERSION } from './proto.js';
export type * from './types.js';
export { planNamesAction } from './planActions.js';
