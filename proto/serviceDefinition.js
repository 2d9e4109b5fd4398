// A grpc-js service definition built straight from a resolved protobufjs Service: what
// @grpc/proto-loader's loadSync/fromJSON + grpc.loadPackageDefinition produce for a service, without
// the descriptor protos proto-loader also builds and encodes for every message (gRPC reflection
// data nobody here reads). That encoding was ~90 ms of every agent start and more of the server's.
// Same wire format and the same object shapes: fromObject/encode to send, decode/toObject to receive.

/** `Session` → `session`, `UploadArtifact` → `uploadArtifact` (proto-loader's originalName). */
const lowerFirst = (name) => name.charAt(0).toLowerCase() + name.slice(1);

function serializer(type) {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return type.encode(type.fromObject(value)).finish();
  };
}

function deserializer(type, options) {
  return (bytes) => type.toObject(type.decode(bytes), options);
}

/**
 * @param {import('./serviceDefinition.js').ProtobufService} service a Service of a Root on which resolveAll() ran
 * @param {object} toObjectOptions protobufjs conversion options for received messages (longs, enums, defaults, oneofs)
 */
export function grpcServiceDefinition(service, toObjectOptions) {
  const serviceName = service.fullName.replace(/^\./, '');
  const definition = {};
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (!request || !response) throw new Error(`${serviceName}.${method.name}: types not resolved; call root.resolveAll() first`);
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request, toObjectOptions),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response, toObjectOptions),
      originalName: lowerFirst(method.name),
    };
  }
  return definition;
}
