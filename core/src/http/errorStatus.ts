import { isHeliosError } from '@helios-ci/sdk';

/** The one place HeliosError codes become HTTP statuses: the sdk's error-code registry says which. */
export function httpStatusOf(err: unknown): number {
  return isHeliosError(err) ? err.httpStatus : 500;
}
