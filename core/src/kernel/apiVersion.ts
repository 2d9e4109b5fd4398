// The three functions, not the whole package: `semver` loads 47 files, on every CLI start.
import satisfies from 'semver/functions/satisfies.js';
import major from 'semver/functions/major.js';
import validRange from 'semver/ranges/valid.js';
import { HeliosError, PLUGIN_API_VERSION } from '@helios-ci/sdk';

/**
 * Refuses a plugin whose declared API range does not include this kernel's plugin API version.
 * The range is a literal the plugin wrote when it was built (`'1.x'`), so this compares two
 * different things: what the plugin was written against, and what this kernel speaks.
 */
export function checkApiVersion(apiVersion: unknown, label: string, where: string): void {
  if (typeof apiVersion !== 'string') {
    throw new HeliosError(
      'E_PLUGIN_API_MISMATCH',
      `${where}: ${label} declares apiVersion ${JSON.stringify(apiVersion) ?? String(apiVersion)}, not a semver range: it was built with an sdk before 1.0.0. This Helios kernel speaks plugin API ${PLUGIN_API_VERSION}; rebuild the plugin against @helios-ci/sdk ^1.0.0 and write apiVersion: '1.x'`,
      { facts: { pluginApiRange: apiVersion, kernelApi: PLUGIN_API_VERSION } },
    );
  }
  if (validRange(apiVersion) === null) {
    throw new HeliosError(
      'E_PLUGIN_INVALID',
      `${where}: ${label} declares apiVersion "${apiVersion}", which is not a semver range; the plugin must write the API range it was built for, e.g. apiVersion: '1.x'`,
      { facts: { pluginApiRange: apiVersion, kernelApi: PLUGIN_API_VERSION } },
    );
  }
  if (!satisfies(PLUGIN_API_VERSION, apiVersion)) {
    throw new HeliosError(
      'E_PLUGIN_API_MISMATCH',
      `${where}: ${label} is built for plugin API "${apiVersion}", but this Helios kernel speaks plugin API ${PLUGIN_API_VERSION}, which is outside that range; install a release of the plugin built for plugin API ${major(PLUGIN_API_VERSION)}.x (its peer dependency on @helios-ci/sdk says which), or run a Helios whose plugin API is in "${apiVersion}"`,
      { facts: { pluginApiRange: apiVersion, kernelApi: PLUGIN_API_VERSION } },
    );
  }
}
