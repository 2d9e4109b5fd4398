import { isHeliosError } from '@helios-ci/sdk';

const BY_CODE: Record<string, number> = {
  E_NOT_FOUND: 404,
  E_UNAUTHORIZED: 401,
  E_SIGNATURE_INVALID: 401,
  E_FORBIDDEN: 403,
  E_PAYLOAD_TOO_LARGE: 413,
  E_CONFLICT: 409,
  E_RATE_LIMITED: 429,
  E_UNAVAILABLE: 503,
  E_JOB_FINAL: 409,
  E_JOB_NOT_FINAL: 409,
  E_NOTHING_TO_RUN: 422,
  E_REPOSITORY_UNREACHABLE: 422,
  E_GIT_TIMEOUT: 504,
};

/** The one place HeliosError codes become HTTP statuses. */
export function httpStatusOf(err: unknown): number {
  if (!isHeliosError(err)) return 500;
  if (BY_CODE[err.code]) return BY_CODE[err.code]!;
  if (/_(INVALID|MALFORMED|BAD_REQUEST)$/.test(err.code) || err.code === 'E_USAGE') return 400;
  if (/_NOT_FOUND$/.test(err.code)) return 404;
  return 500;
}
