import { status, Metadata, type StatusObject } from '@grpc/grpc-js';
import { isHeliosError } from '@helios-ci/sdk';

/** HTTP status (from the sdk's error-code registry) → gRPC status, as grpc-gateway maps them back. */
const BY_HTTP: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.ALREADY_EXISTS,
  412: status.FAILED_PRECONDITION,
  413: status.RESOURCE_EXHAUSTED,
  422: status.FAILED_PRECONDITION,
  429: status.RESOURCE_EXHAUSTED,
  501: status.UNIMPLEMENTED,
  502: status.UNAVAILABLE,
  503: status.UNAVAILABLE,
  504: status.DEADLINE_EXCEEDED,
};

/** The one place HeliosError codes become gRPC status codes (the HTTP twin is httpStatusOf). */
export function grpcStatusOf(err: unknown): status {
  if (!isHeliosError(err)) return status.INTERNAL;
  if (err.code === 'E_CANCELLED') return status.CANCELLED;
  return BY_HTTP[err.httpStatus] ?? status.INTERNAL;
}

/**
 * A status object for ending a call. The details carry `CODE: message` so the agent can print the
 * fix; errors that are not HeliosErrors say only "internal error" (their text may hold anything).
 */
export function toGrpcStatus(err: unknown): StatusObject {
  const code = grpcStatusOf(err);
  const details = isHeliosError(err) ? `${err.code}: ${err.message}` : 'internal error in the agent service; see the server log';
  const metadata = new Metadata();
  if (isHeliosError(err)) metadata.set('helios-error-code', err.code);
  return { code, details, metadata };
}
