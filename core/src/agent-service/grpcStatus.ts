import { status, Metadata, type StatusObject } from '@grpc/grpc-js';
import { isHeliosError } from '@helios-ci/sdk';

const BY_CODE: Record<string, status> = {
  E_UNAUTHORIZED: status.UNAUTHENTICATED,
  E_AGENT_TOKEN_INVALID: status.UNAUTHENTICATED,
  E_AGENT_TOKEN_EXPIRED: status.UNAUTHENTICATED,
  E_FORBIDDEN: status.PERMISSION_DENIED,
  E_NOT_FOUND: status.NOT_FOUND,
  E_CONFLICT: status.ALREADY_EXISTS,
  E_AGENT_ALREADY_CONNECTED: status.ALREADY_EXISTS,
  E_AGENT_PROTOCOL_MISMATCH: status.FAILED_PRECONDITION,
  E_RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  E_PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  E_UNAVAILABLE: status.UNAVAILABLE,
  E_UNIMPLEMENTED: status.UNIMPLEMENTED,
  E_CANCELLED: status.CANCELLED,
  E_TIMEOUT: status.DEADLINE_EXCEEDED,
};

/** The one place HeliosError codes become gRPC status codes (the HTTP twin is httpStatusOf). */
export function grpcStatusOf(err: unknown): status {
  if (!isHeliosError(err)) return status.INTERNAL;
  const known = BY_CODE[err.code];
  if (known !== undefined) return known;
  if (/_(INVALID|MALFORMED|BAD_REQUEST)$/.test(err.code) || err.code === 'E_USAGE') return status.INVALID_ARGUMENT;
  if (/_NOT_FOUND$/.test(err.code)) return status.NOT_FOUND;
  return status.INTERNAL;
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
