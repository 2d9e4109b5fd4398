import { HeliosError, type Runtime } from '@helios-ci/sdk';

/** The runtime serving every runs-on label of a job (GitHub: all labels must match). */
export function selectRuntime(runtimes: readonly Runtime[], labels: readonly string[]): Runtime {
  const runtime = runtimes.find((r) => labels.every((l) => r.labels.includes(l)));
  if (runtime) return runtime;
  const served = [...new Set(runtimes.flatMap((r) => r.labels))];
  throw new HeliosError(
    'E_NO_RUNTIME',
    `no configured runtime serves runs-on [${labels.join(', ')}]; the runtimes serve: ${served.join(', ') || '(none: enable a runtime plugin)'}; change runs-on or add the label to a runtime's config`,
  );
}
