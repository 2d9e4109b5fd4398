import { HeliosError, type Runtime } from '@helios-ci/sdk';

/** The runtime serving every runs-on label of a job (GitHub: all labels must match). */
export function selectRuntime(runtimes: readonly Runtime[], labels: readonly string[]): Runtime {
  const runtime = runtimes.find((r) => labels.every((l) => r.labels.includes(l)));
  if (runtime) return runtime;
  const served = [...new Set(runtimes.flatMap((r) => r.labels))];
  if (served.length === 0) {
    throw new HeliosError(
      'E_NO_RUNTIME',
      `no runtime is configured, so nothing serves runs-on [${labels.join(', ')}]; configure a runtime plugin in helios.yaml (e.g. @helios-ci/runtime-local, which serves "local")`,
    );
  }
  throw new HeliosError(
    'E_NO_RUNTIME',
    `no configured runtime serves runs-on [${labels.join(', ')}]; the runtimes serve: ${served.join(', ')}; change runs-on or add the label to a runtime's config`,
  );
}
