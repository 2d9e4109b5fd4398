/** The parts of a protobufjs message Type the definition uses. */
export interface ProtobufType {
  name: string;
  fromObject(value: Record<string, unknown>): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options?: object): Record<string, unknown>;
}

/** The parts of a resolved protobufjs Service the definition uses. */
export interface ProtobufService {
  fullName: string;
  methodsArray: ReadonlyArray<{
    name: string;
    requestStream?: boolean;
    responseStream?: boolean;
    resolvedRequestType: ProtobufType | null;
    resolvedResponseType: ProtobufType | null;
  }>;
}

export interface GrpcMethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: unknown): Uint8Array;
  requestDeserialize(bytes: Uint8Array): unknown;
  responseSerialize(value: unknown): Uint8Array;
  responseDeserialize(bytes: Uint8Array): unknown;
  originalName: string;
}

/**
 * A grpc-js ServiceDefinition (for `server.addService` and `makeClientConstructor`) of a protobufjs
 * Service whose root ran resolveAll(): what proto-loader builds, without the descriptor protos.
 */
export declare function grpcServiceDefinition(service: ProtobufService, toObjectOptions: object): Record<string, GrpcMethodDefinition>;
