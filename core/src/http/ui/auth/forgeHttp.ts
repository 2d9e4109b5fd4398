import { HeliosError } from '@helios-ci/sdk';

const TIMEOUT_MS = 10_000;

/** One JSON request to a forge; the status and parsed body (null when not JSON). */
export async function forgeJson(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: any }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { accept: 'application/json', 'user-agent': 'helios-ci', ...init.headers }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new HeliosError('E_UNAVAILABLE', `the forge at ${new URL(url).origin} did not answer (${(err as Error).message}); try again, or check ui.signIn's url`, { cause: err });
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: callers see the status.
  }
  return { status: res.status, body };
}
